import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./errors";
import { datasetsKey } from "./keys";
import type { DatasetRead } from "./types";

export function listDatasets(teamId: string): Promise<DatasetRead[]> {
  return unwrap(api.GET("/api/teams/{team_id}/datasets", { params: { path: { team_id: teamId } } }));
}

export function datasetsQueryOptions(teamId: string) {
  return queryOptions({ queryKey: datasetsKey(teamId), queryFn: () => listDatasets(teamId) });
}

export function useDatasets(teamId: string | undefined) {
  return useQuery({ ...datasetsQueryOptions(teamId ?? ""), enabled: Boolean(teamId) });
}
