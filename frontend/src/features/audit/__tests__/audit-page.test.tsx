import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditEventRead } from "@/lib/api/types";
import { setCurrentTeamId } from "@/lib/auth/current-team";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceIn, lab, labId } from "@/features/team/__tests__/fixtures";

function event(overrides: Partial<AuditEventRead>): AuditEventRead {
  return {
    id: crypto.randomUUID(),
    created_at: "2026-11-30T09:15:00Z",
    team_id: labId,
    actor_user_id: alice.id,
    actor_email: "alice@example.com",
    via: "password",
    action: "job.launched",
    target_type: "job",
    target_id: "job-1",
    target_label: "SFT lora · tiny-llama · sums v1",
    outcome: "success",
    detail: null,
    ip: "203.0.113.7",
    user_agent: "Firefox",
    ...overrides,
  };
}

const failedSignIn = event({
  action: "auth.sign_in",
  team_id: null,
  actor_user_id: null,
  via: "password",
  actor_email: "bob@example.com",
  target_type: "user",
  target_label: "bob@example.com",
  outcome: "failure",
  detail: { reason: "wrong email or password" },
  ip: "198.51.100.23",
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("audit log page", () => {
  it("shows the team's events, filters them, loads older ones and exports the same filter as CSV", async () => {
    startSession(tokenPair(1, aliceIn("admin")));
    setCurrentTeamId(labId);
    const older = event({ action: "dataset.uploaded", target_type: "dataset", target_label: "support chats", ip: "203.0.113.8" });
    const api = installFakeApi({
      "GET /api/auth/me": () => json(aliceIn("admin")),
      [`GET /api/teams/${labId}`]: () => json(lab("admin")),
      [`GET /api/teams/${labId}/audit`]: (call) => {
        if (call.query.outcome === "failure") return json({ items: [failedSignIn], next_cursor: null });
        if (call.query.cursor === "page-2") return json({ items: [older], next_cursor: null });
        return json({ items: [event({}), failedSignIn], next_cursor: "page-2" });
      },
      [`GET /api/teams/${labId}/audit.csv`]: () =>
        new Response("time,actor_email\n", {
          headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="audit-lab-20261130.csv"' },
        }),
    });
    const createObjectURL = vi.fn(() => "blob:audit");
    vi.stubGlobal(
      "URL",
      class extends URL {
        static createObjectURL = createObjectURL;
        static revokeObjectURL = vi.fn();
      },
    );
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    const { user } = renderApp("/team/audit");

    const table = await screen.findByRole("table");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("alice@example.com");
    expect(rows[0]).toHaveTextContent("job.launched");
    expect(rows[0]).toHaveTextContent("job: SFT lora · tiny-llama · sums v1");
    expect(rows[0]).toHaveTextContent("203.0.113.7");
    expect(rows[1]).toHaveTextContent("bob@example.com (not signed in)");
    expect(rows[1]).toHaveTextContent("wrong email or password");
    expect(within(rows[1]!).getByText("failure")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Load older events" }));
    expect(await screen.findByText("dataset: support chats")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load older events" })).not.toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Outcome"), "failure");
    await user.type(screen.getByLabelText("Actor"), "bob@example.com");
    await user.type(screen.getByLabelText("From"), "2026-11-01");
    await user.type(screen.getByLabelText("To"), "2026-11-30");
    await user.click(screen.getByRole("button", { name: "Apply filters" }));
    await waitFor(() => expect(within(screen.getByRole("table")).getAllByRole("row")).toHaveLength(2));
    const filtered = api.callsTo("GET", `/api/teams/${labId}/audit`).at(-1)!;
    expect(filtered.query).toEqual({
      outcome: "failure",
      actor: "bob@example.com",
      from: "2026-11-01T00:00:00Z",
      to: "2026-12-01T00:00:00.000Z",
      limit: "50",
    });

    await user.click(screen.getByRole("button", { name: "Export CSV" }));
    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    const exported = api.callsTo("GET", `/api/teams/${labId}/audit.csv`);
    expect(exported).toHaveLength(1);
    expect(exported[0]!.query).toEqual({
      outcome: "failure",
      actor: "bob@example.com",
      from: "2026-11-01T00:00:00Z",
      to: "2026-12-01T00:00:00.000Z",
    });
    expect(exported[0]!.authorization).toBe("Bearer access-1");
    expect(createObjectURL).toHaveBeenCalledTimes(1);
  });

  it.each(["viewer", "member"] as const)("tells a %s that it needs the admin role, without asking the API", async (role) => {
    startSession(tokenPair(1, aliceIn(role)));
    setCurrentTeamId(labId);
    const api = installFakeApi({
      "GET /api/auth/me": () => json(aliceIn(role)),
      [`GET /api/teams/${labId}`]: () => json(lab(role)),
    });
    renderApp("/team/audit");
    expect(await screen.findByText(new RegExp(`needs the admin role in Lab; you are a ${role}`))).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Export CSV" })).not.toBeInTheDocument();
    expect(api.callsTo("GET", `/api/teams/${labId}/audit`)).toHaveLength(0);
  });

  it("shows the server's refusal in its words", async () => {
    startSession(tokenPair(1, aliceIn("admin")));
    setCurrentTeamId(labId);
    installFakeApi({
      "GET /api/auth/me": () => json(aliceIn("admin")),
      [`GET /api/teams/${labId}/audit`]: () =>
        apiError(403, "Forbidden", "This needs the admin role in this team; you are a member. Ask a team owner or admin."),
    });
    renderApp("/team/audit");
    expect(await screen.findByRole("alert")).toHaveTextContent("you are a member");
  });

  it("is linked from the Team page for admins", async () => {
    startSession(tokenPair(1, aliceIn("admin")));
    setCurrentTeamId(labId);
    installFakeApi({
      "GET /api/auth/me": () => json(aliceIn("admin")),
      [`GET /api/teams/${labId}`]: () => json(lab("admin")),
      [`GET /api/teams/${labId}/invitations`]: () => json([]),
      [`GET /api/teams/${labId}/audit`]: () => json({ items: [], next_cursor: null }),
    });
    const { user } = renderApp("/team");
    await user.click(await screen.findByRole("link", { name: "Audit log" }));
    expect(await screen.findByRole("heading", { name: "Audit log" })).toBeInTheDocument();
    expect(await screen.findByText("No events yet.")).toBeInTheDocument();
  });
});
