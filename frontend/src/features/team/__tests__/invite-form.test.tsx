import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Role } from "@/lib/api/types";
import { setCurrentTeamId } from "@/lib/auth/current-team";
import { startSession } from "@/lib/auth/session";
import { apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceIn, bobId, lab, labId, member } from "./fixtures";

const created = {
  id: "inv-1",
  email: "bob@example.com",
  role: "member",
  status: "pending",
  invited_by: "Alice Martin",
  created_at: "2026-12-02T10:00:00Z",
  expires_at: "2026-12-09T10:00:00Z",
  link: "/invitations/tok_abcdefghijklmnopqrstuvwxyz0123456789ABCD",
};

function signedInAs(role: Role, extra: Record<string, Parameters<typeof installFakeApi>[0][string]> = {}) {
  const me = aliceIn(role);
  startSession(tokenPair(1, me));
  setCurrentTeamId(labId);
  return installFakeApi({
    "GET /api/auth/me": () => json(me),
    [`GET /api/teams/${labId}`]: () => json(lab(role, [member(bobId, "Bob Stone", "owner")])),
    [`GET /api/teams/${labId}/invitations`]: () => json([]),
    ...extra,
  });
}

describe("invite form", () => {
  it("creates an invitation and shows its link once, to copy", async () => {
    let listed: unknown[] = [];
    const api = signedInAs("admin", {
      [`POST /api/teams/${labId}/invitations`]: () => {
        listed = [{ ...created, link: undefined }];
        return json(created, 201);
      },
      [`GET /api/teams/${labId}/invitations`]: () => json(listed),
    });
    const { user } = renderApp("/team");

    const form = (await screen.findByRole("heading", { name: "Invite someone" })).closest("section")!;
    const roleSelect = within(form).getByLabelText("Role");
    // An admin cannot invite owners: the option says why and is disabled.
    expect(within(roleSelect).getByRole("option", { name: "Owner (owners only)" })).toBeDisabled();
    expect(within(roleSelect).getByRole("option", { name: "Admin" })).toBeEnabled();

    await user.type(within(form).getByLabelText("Email"), "bob@example.com");
    await user.selectOptions(roleSelect, "member");
    await user.click(within(form).getByRole("button", { name: "Create invitation link" }));

    await waitFor(() => expect(api.callsTo("POST", `/api/teams/${labId}/invitations`)).toHaveLength(1));
    expect(api.callsTo("POST", `/api/teams/${labId}/invitations`)[0].body).toEqual({
      email: "bob@example.com",
      role: "member",
      expires_in_days: 7,
    });
    expect(await within(form).findByText(/it is shown only now, works once/)).toBeInTheDocument();
    const link = within(form).getByLabelText("Invitation link for bob@example.com");
    expect(link).toHaveValue(`${window.location.origin}${created.link}`);
    await user.click(within(form).getByRole("button", { name: "Copy link" }));
    expect(await navigator.clipboard.readText()).toBe(`${window.location.origin}${created.link}`);
    expect(within(form).getByLabelText("Email")).toHaveValue("");

    // The pending list shows it, with the link still copyable on this page, and Revoke.
    const pending = screen.getByRole("heading", { name: "Pending invitations" }).closest("section")!;
    expect(await within(pending).findByText("bob@example.com")).toBeInTheDocument();
    expect(within(pending).getByLabelText("Invitation link for bob@example.com")).toBeInTheDocument();
    expect(within(pending).getByRole("button", { name: "Revoke the invitation for bob@example.com" })).toBeEnabled();
  });

  it("says when the link was mailed, and when the mail failed that the link is still here to send by hand", async () => {
    let answer: Record<string, unknown> = { ...created, emailed: true, email_problem: null };
    signedInAs("admin", { [`POST /api/teams/${labId}/invitations`]: () => json(answer, 201) });
    const { user } = renderApp("/team");
    const form = (await screen.findByRole("heading", { name: "Invite someone" })).closest("section")!;
    await user.type(within(form).getByLabelText("Email"), "bob@example.com");
    await user.click(within(form).getByRole("button", { name: "Create invitation link" }));
    expect(await within(form).findByText(/created and mailed to them/)).toBeInTheDocument();

    answer = { ...created, emailed: false, email_problem: "The mail server mail.example.com:587 could not be reached or refused the mail (TimeoutError)." };
    await user.type(within(form).getByLabelText("Email"), "bob@example.com");
    await user.click(within(form).getByRole("button", { name: "Create invitation link" }));
    expect(await within(form).findByText(/The mail was not sent: The mail server mail.example.com:587 could not be reached/)).toHaveTextContent(
      "Copy the link below and send it yourself.",
    );
    expect(within(form).getByLabelText("Invitation link for bob@example.com")).toHaveValue(`${window.location.origin}${created.link}`);
  });

  it("shows the server's refusal in its own words", async () => {
    signedInAs("owner", {
      [`POST /api/teams/${labId}/invitations`]: () =>
        apiError(409, "Conflict", "bob@example.com is already a member of this team. Change their role on the Team page instead."),
    });
    const { user } = renderApp("/team");
    const form = (await screen.findByRole("heading", { name: "Invite someone" })).closest("section")!;
    expect(within(within(form).getByLabelText("Role")).getByRole("option", { name: "Owner" })).toBeEnabled();
    await user.type(within(form).getByLabelText("Email"), "bob@example.com");
    await user.click(within(form).getByRole("button", { name: "Create invitation link" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("already a member of this team");
  });

  it("a viewer sees members but no invite form, and the controls say why they are disabled", async () => {
    signedInAs("viewer");
    renderApp("/team");
    expect(await screen.findByRole("heading", { name: "Members of Lab" })).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Invite someone" })).not.toBeInTheDocument();
    expect(screen.getByText(/Only admins and owners invite people/)).toBeInTheDocument();

    const roleOfBob = screen.getByLabelText("Role of Bob Stone");
    expect(roleOfBob).toBeDisabled();
    expect(roleOfBob.parentElement).toHaveAttribute("title", "Only admins and owners manage members; you are a viewer.");
    const remove = screen.getByRole("button", { name: "Remove Bob Stone" });
    expect(remove).toBeDisabled();
    expect(remove.parentElement).toHaveAttribute("title", "Only admins and owners manage members; you are a viewer.");
    const del = screen.getByRole("button", { name: "Delete team" });
    expect(del).toBeDisabled();
    expect(del.parentElement).toHaveAttribute("title", "Only an owner can do this; you are a viewer.");
    expect(screen.getByRole("button", { name: "Leave team" })).toBeEnabled();
  });

  it("an admin changes a member's role but cannot touch an owner", async () => {
    const api = signedInAs("admin", {
      [`GET /api/teams/${labId}`]: () =>
        json(lab("admin", [member(bobId, "Bob Stone", "owner"), member("c-1", "Cleo Park", "viewer")])),
      [`PATCH /api/teams/${labId}/members/c-1`]: () => json(member("c-1", "Cleo Park", "member")),
    });
    const { user } = renderApp("/team");
    const bob = await screen.findByLabelText("Role of Bob Stone");
    expect(bob).toBeDisabled();
    expect(bob.parentElement).toHaveAttribute("title", "Bob Stone is an owner; only an owner can change that.");

    const cleo = screen.getByLabelText("Role of Cleo Park");
    expect(within(cleo).getByRole("option", { name: "Owner" })).toBeDisabled();
    await user.selectOptions(cleo, "member");
    await waitFor(() => expect(api.callsTo("PATCH", `/api/teams/${labId}/members/c-1`)).toHaveLength(1));
    expect(api.callsTo("PATCH", `/api/teams/${labId}/members/c-1`)[0].body).toEqual({ role: "member" });
  });
});
