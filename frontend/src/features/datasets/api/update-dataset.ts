import type { QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { DatasetRead } from "@/lib/api/types";
import { datasetMutationOptions, useDatasetMutation } from "./keys";

export type DatasetUpdateInput = {
  teamId: string;
  datasetId: string;
  name?: string;
  description?: string;
  /** Archived datasets are hidden from the list (unless "Show archived") and from the training wizard. */
  archived?: boolean;
};

/** PATCH …/datasets/{id}: rename, describe, archive or restore (409 when the name is taken). */
export function updateDataset({ teamId, datasetId, ...body }: DatasetUpdateInput): Promise<DatasetRead> {
  return unwrap(
    api.PATCH("/api/teams/{team_id}/datasets/{dataset_id}", {
      params: { path: { team_id: teamId, dataset_id: datasetId } },
      body,
    }),
  );
}

export function updateDatasetMutationOptions(queryClient: QueryClient) {
  return datasetMutationOptions(queryClient, "update", updateDataset);
}

export function useUpdateDataset() {
  return useDatasetMutation("update", updateDataset);
}
