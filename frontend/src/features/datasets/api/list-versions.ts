import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { VersionRead } from "@/lib/api/types";
import { versionsKey } from "./keys";

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
