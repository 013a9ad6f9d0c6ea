import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { setCurrentTeamId } from "@/lib/auth/current-team";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, noContent, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceIn, bobId, lab, labId, member } from "./fixtures";

describe("team settings", () => {
  it("the only owner cannot leave, says why, and deletes the team after confirming", async () => {
    let me = aliceIn("owner");
    startSession(tokenPair(1, me));
    setCurrentTeamId(labId);
    const api = installFakeApi({
      "GET /api/auth/me": () => json(me),
      [`GET /api/teams/${labId}`]: () => json(lab("owner", [member(bobId, "Bob Stone", "member")])),
      [`GET /api/teams/${labId}/invitations`]: () => json([]),
      [`GET /api/teams/${alice.teams[0].id}`]: () => json({ ...lab("owner"), id: alice.teams[0].id, name: "Alice Martin", personal: true }),
      [`GET /api/teams/${alice.teams[0].id}/invitations`]: () => json([]),
      [`DELETE /api/teams/${labId}`]: () => {
        me = alice;
        return noContent();
      },
    });
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    const { user } = renderApp("/team");

    const leave = await screen.findByRole("button", { name: "Leave team" });
    expect(leave).toBeDisabled();
    expect(leave.parentElement).toHaveAttribute("title", "You are the only owner: hand the team over (or delete it) first.");

    await user.click(screen.getByRole("button", { name: "Delete team" }));
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("Delete Lab with all its datasets"));
    await waitFor(() => expect(api.callsTo("DELETE", `/api/teams/${labId}`)).toHaveLength(1));
    // The personal team becomes the active one again.
    expect(await screen.findByRole("heading", { name: "Members of Alice Martin" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Delete team" }).parentElement).toHaveAttribute(
      "title",
      "Your personal team stays with your account.",
    );
    confirm.mockRestore();
  });

  it("hands the team over to a chosen member, and shows a refusal in the server's words", async () => {
    const me = aliceIn("owner");
    startSession(tokenPair(1, me));
    setCurrentTeamId(labId);
    const api = installFakeApi({
      "GET /api/auth/me": () => json(me),
      [`GET /api/teams/${labId}`]: () => json(lab("owner", [member(bobId, "Bob Stone", "member")])),
      [`GET /api/teams/${labId}/invitations`]: () => json([]),
      [`POST /api/teams/${labId}/hand-over`]: () =>
        apiError(404, "NotFound", "That person is not a member of this team. Invite them first, then hand the team over."),
    });
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    const { user } = renderApp("/team");
    await user.selectOptions(await screen.findByLabelText("Hand over ownership to"), bobId);
    await user.click(screen.getByRole("button", { name: "Hand over" }));
    await waitFor(() => expect(api.callsTo("POST", `/api/teams/${labId}/hand-over`)).toHaveLength(1));
    expect(api.callsTo("POST", `/api/teams/${labId}/hand-over`)[0].body).toEqual({ user_id: bobId });
    expect(await screen.findByText(/Invite them first/)).toBeInTheDocument();
    confirm.mockRestore();
  });
});
