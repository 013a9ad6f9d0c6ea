import type { Role } from "@/lib/api/types";
import { useCurrentTeam } from "./current-team";

/** The same order as the API's roles (docs/permissions.md): each can do what the ones below it can. */
const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export type TeamRole = {
  /** The caller's role in the active team; undefined while it loads. */
  role: Role | undefined;
  /** Whether the caller has at least `needed`. While the role loads this is true: the API still decides. */
  can: (needed: Role) => boolean;
  /**
   * Why the caller cannot `action` (null when they can), for a disabled control's tooltip and screen
   * readers: "Viewers can't launch jobs — ask a team admin for the member role."
   */
  reason: (needed: Role, action: string) => string | null;
};

export function useTeamRole(): TeamRole {
  const { team } = useCurrentTeam();
  return teamRole(team?.role);
}

export function teamRole(role: Role | undefined): TeamRole {
  const can = (needed: Role) => role === undefined || rank[role] >= rank[needed];
  return {
    role,
    can,
    reason: (needed, action) => {
      if (can(needed) || role === undefined) return null;
      const who = `${role[0].toUpperCase()}${role.slice(1)}s`;
      const askWho = needed === "owner" ? "a team owner" : "a team admin";
      return `${who} can't ${action} — ask ${askWho} for the ${needed} role.`;
    },
  };
}
