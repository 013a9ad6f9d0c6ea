import type { TeamSummary } from "@/lib/api/types";
import { useMe } from "./me";

/** The team whose resources the pages show: the personal team until a team switcher exists. */
export function useCurrentTeam(): { team: TeamSummary | undefined; isPending: boolean; error: unknown } {
  const me = useMe();
  const teams = me.data?.teams ?? [];
  return { team: teams.find((team) => team.personal) ?? teams[0], isPending: me.isPending, error: me.error };
}
