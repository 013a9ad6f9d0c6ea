import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./errors";
import type { ModelVersionSummary } from "./types";

/** The same key as the models feature's list, so both share one cache entry. */
export const teamModelVersionsKey = (teamId: string, includeArchived = false) =>
  ["teams", teamId, "model-versions", { includeArchived }] as const;

/**
 * The team's model versions, newest first, unarchived ones unless asked (the wizard's base models,
 * the playground's sides).
 */
export function listTeamModelVersions(teamId: string, includeArchived = false): Promise<ModelVersionSummary[]> {
  return unwrap(
    api.GET("/api/teams/{team_id}/model-versions", {
      params: { path: { team_id: teamId }, ...(includeArchived ? { query: { include_archived: true } } : {}) },
    }),
  );
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
