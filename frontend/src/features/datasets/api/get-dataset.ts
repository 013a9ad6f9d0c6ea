import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { DatasetRead } from "@/lib/api/types";
import { datasetKey } from "./keys";

export function getDataset(teamId: string, datasetId: string): Promise<DatasetRead> {
  return unwrap(
    api.GET("/api/teams/{team_id}/datasets/{dataset_id}", {
      params: { path: { team_id: teamId, dataset_id: datasetId } },
    }),
  );
}

export function datasetQueryOptions(teamId: string, datasetId: string) {
  return queryOptions({ queryKey: datasetKey(teamId, datasetId), queryFn: () => getDataset(teamId, datasetId) });
}

export function useDataset(teamId: string | undefined, datasetId: string) {
  return useQuery({ ...datasetQueryOptions(teamId ?? "", datasetId), enabled: Boolean(teamId) });
}
