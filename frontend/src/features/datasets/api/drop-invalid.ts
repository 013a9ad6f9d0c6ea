import type { QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { UploadResult } from "@/lib/api/types";
import { datasetMutationOptions, useDatasetMutation } from "./keys";

export type DropInvalidInput = {
  teamId: string;
  datasetId: string;
  versionId: string;
  dropDuplicates: boolean;
  dropOverLength: boolean;
};

export function dropInvalid(input: DropInvalidInput): Promise<UploadResult> {
  return unwrap(
    api.POST("/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/drop-invalid", {
      params: { path: { team_id: input.teamId, dataset_id: input.datasetId, version_id: input.versionId } },
      body: { drop_duplicates: input.dropDuplicates, drop_over_length: input.dropOverLength, notes: "" },
    }),
  );
}

export function dropInvalidMutationOptions(queryClient: QueryClient) {
  return datasetMutationOptions(queryClient, "drop-invalid", dropInvalid);
}

export function useDropInvalid() {
  return useDatasetMutation("drop-invalid", dropInvalid);
}
