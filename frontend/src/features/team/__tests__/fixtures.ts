import type { InvitationView, MemberRead, Role, TeamDetail, UserRead } from "@/lib/api/types";
import { alice } from "@/test/fake-api";

export const labId = "9c3d0000-0000-4000-8000-000000000001";
export const bobId = "9c3d0000-0000-4000-8000-0000000000b0";
export const token = "tok_abcdefghijklmnopqrstuvwxyz0123456789ABCD";

/** Alice, in her personal team and in "Lab" with `role`. */
export function aliceIn(role: Role): UserRead {
  return { ...alice, teams: [...alice.teams, { id: labId, name: "Lab", slug: "lab-1a2b3c", role, personal: false }] };
}

export function member(user_id: string, display_name: string, role: Role): MemberRead {
  return { user_id, display_name, role, email: `${display_name.split(" ")[0].toLowerCase()}@example.com`, joined_at: "2026-11-21T10:00:00Z" };
}

export function lab(role: Role, members: MemberRead[] = []): TeamDetail {
  return {
    id: labId,
    name: "Lab",
    slug: "lab-1a2b3c",
    personal: false,
    created_at: "2026-11-21T10:00:00Z",
    role,
    members: [member(alice.id, "Alice Martin", role), ...members],
  };
}

export function invitationView(overrides: Partial<InvitationView> = {}): InvitationView {
  return {
    team_id: labId,
    team_name: "Lab",
    email: "alice@example.com",
    role: "member",
    invited_by: "Olga Owner",
    expires_at: "2026-12-09T10:00:00Z",
    status: "pending",
    for_you: true,
    already_member: false,
    can_accept: true,
    message: "Olga Owner invited you to join Lab as member.",
    ...overrides,
  };
}
