import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { TeamSsoRead } from "@/lib/api/types";
import { setCurrentTeamId } from "@/lib/auth/current-team";
import { startSession } from "@/lib/auth/session";
import { apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceIn, lab, labId } from "./fixtures";

function sso(overrides: Partial<TeamSsoRead> = {}): TeamSsoRead {
  return { sso_only: false, sso_available: true, label: "Acme ID", session_via: "sso", ...overrides };
}

function openTeamPage(role: "owner" | "member", routes: Record<string, Parameters<typeof installFakeApi>[0][string]>) {
  const me = aliceIn(role);
  startSession(tokenPair(1, me));
  setCurrentTeamId(labId);
  const api = installFakeApi({
    "GET /api/auth/me": () => json(me),
    [`GET /api/teams/${labId}`]: () => json(lab(role)),
    [`GET /api/teams/${labId}/invitations`]: () => json([]),
    ...routes,
  });
  return { api, ...renderApp("/team") };
}

describe("the team's SSO-only setting", () => {
  it("an owner signed in with SSO turns it on", async () => {
    const { api, user } = openTeamPage("owner", {
      [`GET /api/teams/${labId}/sso`]: () => json(sso()),
      [`PUT /api/teams/${labId}/sso`]: () => json(sso({ sso_only: true })),
    });
    const toggle = await screen.findByRole("checkbox", { name: "SSO only" });
    expect(toggle).not.toBeChecked();
    await user.click(toggle);
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "SSO only" })).toBeChecked());
    expect(api.callsTo("PUT", `/api/teams/${labId}/sso`)[0].body).toEqual({ sso_only: true });
  });

  it("tells a password session why it cannot turn it on, in the server's words", async () => {
    const refusal = "Sign in with Acme ID before requiring it: this session signed in with a password and would be locked out of the team at once.";
    const { user } = openTeamPage("owner", {
      [`GET /api/teams/${labId}/sso`]: () => json(sso({ session_via: "password" })),
      [`PUT /api/teams/${labId}/sso`]: () => apiError(400, "BadRequest", refusal),
    });
    expect(await screen.findByText(/sign out and sign in with Acme ID first/)).toBeInTheDocument();
    await user.click(screen.getByRole("checkbox", { name: "SSO only" }));
    expect((await screen.findByText(refusal)).closest('[role="alert"]')).not.toBeNull();
    expect(screen.getByRole("checkbox", { name: "SSO only" })).not.toBeChecked();
  });

  it("a member sees the setting but cannot change it", async () => {
    openTeamPage("member", { [`GET /api/teams/${labId}/sso`]: () => json(sso({ sso_only: true })) });
    expect(await screen.findByText(/This team requires signing in with Acme ID\./)).toBeInTheDocument();
    expect(screen.queryByRole("checkbox", { name: "SSO only" })).toBeNull();
  });

  it("is not shown where single sign-on is not set up", async () => {
    const { api } = openTeamPage("owner", {
      [`GET /api/teams/${labId}/sso`]: () => json(sso({ sso_available: false })),
    });
    await screen.findByRole("heading", { name: "Members of Lab" });
    await waitFor(() => expect(api.callsTo("GET", `/api/teams/${labId}/sso`)).toHaveLength(1));
    expect(screen.queryByRole("heading", { name: "Single sign-on" })).toBeNull();
  });
});
