import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./errors";
import type { ModelVersionSummary } from "./types";

/** Under the models feature's key, so its edits refresh the pickers too. */
export const teamModelVersionsKey = (teamId: string, includeArchived = false) =>
  ["teams", teamId, "model-versions", "picker", { includeArchived }] as const;

/** The most versions a picker offers (the API's largest page): the newest ones of a team that has more. */
export const PICKER_VERSIONS = 500;

/**
 * The team's newest model versions (up to PICKER_VERSIONS), unarchived ones unless asked (the wizard's
 * base models, the playground's sides).
 */
export async function listTeamModelVersions(teamId: string, includeArchived = false): Promise<ModelVersionSummary[]> {
  const page = await unwrap(
    api.GET("/api/teams/{team_id}/model-versions", {
      params: { path: { team_id: teamId }, query: { limit: PICKER_VERSIONS, ...(includeArchived ? { include_archived: true } : {}) } },
    }),
  );
  return page.items;
}

export function teamModelVersionsQueryOptions(teamId: string, includeArchived = false) {
  return queryOptions({
    queryKey: teamModelVersionsKey(teamId, includeArchived),
    queryFn: () => listTeamModelVersions(teamId, includeArchived),
    staleTime: 30_000,
  });
}

export function useTeamModelVersions(teamId: string | undefined, includeArchived = false) {
  return useQuery({ ...teamModelVersionsQueryOptions(teamId ?? "", includeArchived), enabled: !!teamId });
}
