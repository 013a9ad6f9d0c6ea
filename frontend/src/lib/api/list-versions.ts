import { queryOptions, useQueries, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./errors";
import { versionsKey } from "./keys";
import type { VersionRead } from "./types";

/** Newest first. */
export function listVersions(teamId: string, datasetId: string): Promise<VersionRead[]> {
  return unwrap(
    api.GET("/api/teams/{team_id}/datasets/{dataset_id}/versions", {
      params: { path: { team_id: teamId, dataset_id: datasetId } },
    }),
  );
}

export function versionsQueryOptions(teamId: string, datasetId: string) {
  return queryOptions({ queryKey: versionsKey(teamId, datasetId), queryFn: () => listVersions(teamId, datasetId) });
}

export function useVersions(teamId: string | undefined, datasetId: string) {
  return useQuery({ ...versionsQueryOptions(teamId ?? "", datasetId), enabled: Boolean(teamId) });
}

/** The versions of several datasets at once (the wizard lists every version of every dataset). */
export function useVersionsOf(teamId: string | undefined, datasetIds: string[]) {
  return useQueries({
    queries: datasetIds.map((id) => ({ ...versionsQueryOptions(teamId ?? "", id), enabled: Boolean(teamId) })),
  });
}
