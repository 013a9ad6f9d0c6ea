import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import type { Role } from "@/lib/api/types";
import { installFakeApi, json, tokenPair } from "@/test/fake-api";
import { installFakeWebSocket } from "@/test/fake-socket";
import { renderApp } from "@/test/render";
import { aliceAs, roleKnown, viewerCant } from "@/test/roles";
import { teamId, v1, v2, versionSummary } from "./fixtures";

// Chatting, rating, editing and batch compares need the member role (docs/permissions.md): a viewer sees
// the message box and the comparison form disabled, with the reason.

function openAs(role: Role, path: string) {
  installFakeWebSocket();
  startSession(tokenPair(1, aliceAs(role)));
  installFakeApi({
    "GET /api/auth/me": () => json(aliceAs(role)),
    [`GET /api/teams/${teamId}/model-versions`]: () => json({ items: [versionSummary(v2, 2), versionSummary(v1, 1)], total: 2 }),
    [`GET /api/teams/${teamId}/playground/workers`]: () => json({ online: 1, max_model_bytes: 2 ** 31, note: null }),
    [`GET /api/teams/${teamId}/playground/feedback`]: () => json([]),
    [`GET /api/teams/${teamId}/batch-compares`]: () => json([]),
    [`GET /api/teams/${teamId}/datasets`]: () => json([]),
  });
  return renderApp(path);
}

describe("the playground by role", () => {
  it("disables the message box for a viewer, saying why", async () => {
    openAs("viewer", `/playground?version=${v2}`);
    const box = await screen.findByRole("group", { name: viewerCant("chat in the playground") });
    expect(within(box).getByLabelText(/Your message/)).toBeDisabled();
    expect(within(box).getByRole("button", { name: "Send" })).toBeDisabled();
  });

  it("lets a member type and send", async () => {
    const { user } = openAs("member", `/playground?version=${v2}`);
    await roleKnown();
    await user.type(await screen.findByLabelText(/Your message/), "Hello");
    expect(screen.getByRole("button", { name: "Send" })).toBeEnabled();
    expect(screen.queryByTitle(viewerCant("chat in the playground"))).not.toBeInTheDocument();
  });

  it("disables a new batch comparison for a viewer", async () => {
    openAs("viewer", "/playground/batch");
    const form = await screen.findByRole("group", { name: viewerCant("start batch compares") });
    expect(form).toHaveAttribute("title", viewerCant("start batch compares"));
    for (const button of within(form).getAllByRole("button")) expect(button).toBeDisabled();
  });
});
