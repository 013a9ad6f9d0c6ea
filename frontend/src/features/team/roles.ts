import type { MemberRead, Role } from "@/lib/api/types";

/** The same rules as the API (backend/tuneforge/teams/service.py, docs/permissions.md), so the page can
 * disable what a role cannot do and say why before anyone clicks. The API still decides. */
export const roleLabels: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member", viewer: "Viewer" };
export const roles: Role[] = ["owner", "admin", "member", "viewer"];
const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export const roleHints: Record<Role, string> = {
  owner: "everything, including deleting the team and handing it over",
  admin: "manages members, invitations, team credentials and quotas",
  member: "uploads data, launches training, uses the playground, publishes",
  viewer: "reads the team's data, jobs and models",
};

export function atLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && rank[role] >= rank[needed];
}

/** Why `mine` cannot give `role` (null when it can). */
export function grantRefusal(mine: Role, role: Role): string | null {
  if (role === "owner" && mine !== "owner") return "Only an owner can make someone an owner.";
  if (rank[role] > rank[mine]) return `You can give roles up to your own (${mine}).`;
  return null;
}

/** Why `mine` cannot change `target`'s role or remove them (null when it can). */
export function manageRefusal(mine: Role, target: MemberRead, owners: number): string | null {
  if (!atLeast(mine, "admin")) return `Only admins and owners manage members; you are a ${mine}.`;
  if (rank[target.role] > rank[mine]) return `${target.display_name} is an ${target.role}; only an owner can change that.`;
  if (target.role === "owner" && owners <= 1)
    return "The team's only owner keeps the role: make someone else owner (or hand the team over) first.";
  return null;
}
