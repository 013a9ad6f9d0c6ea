import type { QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { UploadResult } from "@/lib/api/types";
import { datasetMutationOptions, useDatasetMutation } from "./keys";

export type SplitInput = {
  teamId: string;
  datasetId: string;
  versionId: string;
  train: number;
  validation: number;
  test: number;
  seed: number;
};

export function splitVersion(input: SplitInput): Promise<UploadResult> {
  return unwrap(
    api.POST("/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/split", {
      params: { path: { team_id: input.teamId, dataset_id: input.datasetId, version_id: input.versionId } },
      body: { train: input.train, validation: input.validation, test: input.test, seed: input.seed, notes: "" },
    }),
  );
}

export function splitVersionMutationOptions(queryClient: QueryClient) {
  return datasetMutationOptions(queryClient, "split", splitVersion);
}

export function useSplitVersion() {
  return useDatasetMutation("split", splitVersion);
}
