import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { DatasetRead } from "@/lib/api/types";
import { datasetsKey } from "./keys";

/** The team's datasets including archived ones (GET …/datasets?archived=true), for "Show archived". */
export function listAllDatasets(teamId: string): Promise<DatasetRead[]> {
  return unwrap(
    api.GET("/api/teams/{team_id}/datasets", { params: { path: { team_id: teamId }, query: { archived: true } } }),
  );
}

export function allDatasetsQueryOptions(teamId: string) {
  return queryOptions({ queryKey: [...datasetsKey(teamId), { archived: true }], queryFn: () => listAllDatasets(teamId) });
}

export function useAllDatasets(teamId: string | undefined, enabled: boolean) {
  return useQuery({ ...allDatasetsQueryOptions(teamId ?? ""), enabled: Boolean(teamId) && enabled });
}
