import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { InvitationView } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, noContent, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceIn, invitationView, labId, token } from "./fixtures";

function open(view: InvitationView, extra: Parameters<typeof installFakeApi>[0] = {}) {
  startSession(tokenPair(1));
  let me = alice;
  const api = installFakeApi({
    "GET /api/auth/me": () => json(me),
    [`GET /api/invitations/${token}`]: () => json(view),
    [`POST /api/invitations/${token}/accept`]: () => {
      me = aliceIn("member");
      return json({ id: labId, name: "Lab", slug: "lab-1a2b3c", personal: false, created_at: "2026-11-21T10:00:00Z", role: "member" });
    },
    ...extra,
  });
  return { api, ...renderApp(`/invitations/${token}`) };
}

describe("invitation page", () => {
  it("shows the team, inviter, role and expiry, and accepting joins the team and makes it active", async () => {
    const { api, user } = open(invitationView());
    expect(await screen.findByRole("heading", { name: "Join Lab" })).toBeInTheDocument();
    expect(screen.getByText("Olga Owner")).toBeInTheDocument();
    expect(screen.getByText(/Member — uploads data/)).toBeInTheDocument();
    expect(screen.getByText("Olga Owner invited you to join Lab as member.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Accept and join" }));
    expect(await screen.findByText(/You joined Lab as member/)).toBeInTheDocument();
    expect(api.callsTo("POST", `/api/invitations/${token}/accept`)).toHaveLength(1);
    // The new team is the active one: the switcher shows it once the user's teams are read again.
    await waitFor(() => expect(screen.getByLabelText("Active team")).toHaveValue(labId));
  });

  it("declining says so and offers nothing more", async () => {
    const { api, user } = open(invitationView(), {
      [`POST /api/invitations/${token}/decline`]: () => json(invitationView({ status: "declined", can_accept: false, message: "declined" })),
    });
    await user.click(await screen.findByRole("button", { name: "Decline" }));
    expect(await screen.findByText(/You declined the invitation/)).toBeInTheDocument();
    expect(api.callsTo("POST", `/api/invitations/${token}/decline`)).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Accept and join" })).not.toBeInTheDocument();
  });

  it.each([
    ["expired", "This invitation has expired. Ask Olga Owner for a new one."],
    ["accepted", "This invitation has already been used: each link works once. If it was not you, ask Olga Owner for a new one."],
    ["revoked", "This invitation was withdrawn by the team. Ask Olga Owner if you think that was a mistake."],
  ] as const)("a %s link says so in plain words, without Accept", async (status, message) => {
    open(invitationView({ status, can_accept: false, message }));
    expect(await screen.findByText(message)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Accept and join" })).not.toBeInTheDocument();
  });

  it("the wrong account is told whose invitation it is and can switch accounts", async () => {
    const message =
      "This invitation is for bob@example.com, but you are signed in as alice@example.com. Sign out and sign in (or create an account) with bob@example.com to accept it.";
    const { user, router } = open(invitationView({ email: "bob@example.com", for_you: false, can_accept: false, message }), {
      "POST /api/auth/logout": () => noContent(),
    });
    expect(await screen.findByText(message)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Accept and join" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Sign in with bob@example.com" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(router.state.location.state).toEqual({ from: `/invitations/${token}` });
  });

  it("a link that is not valid says what to do", async () => {
    startSession(tokenPair(1));
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/invitations/${token}`]: () =>
        apiError(404, "NotFound", "This invitation link is not valid: check that you copied all of it, or ask the person who invited you for a new one."),
    });
    renderApp(`/invitations/${token}`);
    expect(await screen.findByRole("alert")).toHaveTextContent("This invitation link is not valid");
  });

  it("someone signed out who opens the link registers and comes back to it", async () => {
    const bob = { ...alice, id: "b0b", email: "bob@example.com", display_name: "Bob", teams: [] };
    installFakeApi({
      "POST /api/auth/register": () => json(tokenPair(2, bob), 201),
      "GET /api/auth/me": () => json(bob),
      [`GET /api/invitations/${token}`]: () => json(invitationView({ email: "bob@example.com" })),
    });
    const { user, router } = renderApp(`/invitations/${token}`);
    await user.click(await screen.findByRole("link", { name: "Create an account" }));
    await user.type(await screen.findByLabelText("Name"), "Bob");
    await user.type(screen.getByLabelText("Email"), "bob@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("button", { name: "Accept and join" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe(`/invitations/${token}`);
  });
});
