import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const teamId = alice.teams[0].id;
const base = `/api/teams/${teamId}/datasets`;
const PRIVATE = "This dataset is private or gated: accept its terms on the Hub and save a token with access in Settings.";

describe("import from the Hugging Face Hub", () => {
  it("checks the id, sends config/split/revision/row limit, and shows the Hub's refusal", async () => {
    startSession(tokenPair(1));
    const fake = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET ${base}`]: () => json([]),
      [`POST ${base}/hub-imports`]: () => json({ error: "Forbidden", detail: PRIVATE }, 403),
    });
    const { user } = renderApp("/datasets");
    await user.type(await screen.findByLabelText("Hub dataset id"), "no-slash");
    await user.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByText("Give the dataset's id as owner/name, e.g. HuggingFaceH4/no_robots.")).toBeInTheDocument();

    await user.clear(screen.getByLabelText("Hub dataset id"));
    await user.type(screen.getByLabelText("Hub dataset id"), "alice/private-qa");
    await user.type(screen.getByLabelText("Split"), "test");
    await user.type(screen.getByLabelText("Row limit"), "100");
    await user.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByText(PRIVATE)).toBeInTheDocument();
    const sent = fake.calls.find((c) => c.method === "POST" && c.path === `${base}/hub-imports`);
    expect(sent?.body).toMatchObject({ hub_id: "alice/private-qa", split: "test", config: null, revision: "main", row_limit: 100 });
  });
});
