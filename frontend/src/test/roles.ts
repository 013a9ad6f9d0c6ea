import { screen } from "@testing-library/react";
import type { Role, UserRead } from "@/lib/api/types";
import { alice } from "./fake-api";

/** Alice with `role` in her (only, active) team: for the pages that disable what a role cannot do. */
export function aliceAs(role: Role): UserRead {
  return { ...alice, teams: alice.teams.map((team) => ({ ...team, role })) };
}

/** The reason a disabled control gives a viewer, as `useTeamRole().reason` words it. */
export const viewerCant = (action: string) => `Viewers can't ${action} — ask a team admin for the member role.`;

/** Resolves once the signed-in user's teams (and so their role) are known: the team switcher shows. */
export async function roleKnown(): Promise<void> {
  await screen.findByLabelText("Active team");
}
