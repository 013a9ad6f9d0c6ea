import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import type { Role } from "@/lib/api/types";
import { installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceAs, roleKnown, viewerCant } from "@/test/roles";

// Tagging, editing, archiving, deleting and publishing a model version need the member role
// (docs/permissions.md): a viewer sees these controls disabled, with the reason.

const versionId = "6a1c0000-0000-4000-8000-000000000102";
const version = {
  id: versionId, model_id: "6a1c0000-0000-4000-8000-000000000001", model_name: "support-bot", number: 2,
  created_at: "2026-11-22T01:00:00Z", archived: false, tags: ["production"], job_id: null, base_model: "tiny-llama",
  notes: "", reference: `version:${versionId}`, files_missing: false, used_by: [],
  lineage: { recorded: "at_finish", base_model: { reference: "tiny-llama", kind: "bundled" } },
};

function openAs(role: Role) {
  startSession(tokenPair(1, aliceAs(role)));
  const api = installFakeApi({
    "GET /api/auth/me": () => json(aliceAs(role)),
    [`GET /api/model-versions/${versionId}`]: () => json(version),
    [`GET /api/model-versions/${versionId}/publications`]: () => json([]),
  });
  return { ...renderApp(`/models/versions/${versionId}`), api };
}

describe("a model version's page by role", () => {
  it("shows a viewer Publish, tags, notes, Archive and Delete disabled, saying why", async () => {
    const { api } = openAs("viewer");
    const publish = await screen.findByTitle(viewerCant("publish models"));
    expect(publish).toHaveTextContent("Publish");
    expect(publish).toBeDisabled();
    const tags = screen.getByRole("group", { name: viewerCant("tag model versions") });
    expect(within(tags).getByRole("button", { name: "Remove tag production" })).toBeDisabled();
    expect(within(tags).getByRole("button", { name: "Tag" })).toBeDisabled();
    const notes = screen.getByRole("group", { name: viewerCant("edit model versions") });
    expect(within(notes).getByRole("button", { name: "Save notes" })).toBeDisabled();
    const manage = screen.getByRole("group", { name: viewerCant("archive or delete model versions") });
    expect(within(manage).getByRole("button", { name: "Archive" })).toBeDisabled();
    expect(within(manage).getByRole("button", { name: "Delete" })).toBeDisabled();
    expect(api.calls.filter((c) => c.method !== "GET")).toHaveLength(0);
  });

  it("lets a member publish, tag and edit", async () => {
    const { user } = openAs("member");
    await roleKnown();
    const publish = await screen.findByRole("button", { name: "Publish" });
    expect(publish).toBeEnabled();
    expect(screen.getByRole("button", { name: "Tag" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Save notes" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Archive" })).toBeEnabled();
    expect(screen.queryByRole("group", { name: /Viewers can't/ })).not.toBeInTheDocument();
    await user.click(publish);
    expect(publish).toHaveAttribute("aria-expanded", "true");
  });
});
