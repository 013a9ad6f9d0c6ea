import type { QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { UploadResult } from "@/lib/api/types";
import { datasetMutationOptions, useDatasetMutation } from "./keys";

export type FillPlaceholdersInput = {
  teamId: string;
  datasetId: string;
  versionId: string;
  /** Placeholder name (without braces) -> the text to put in its place. */
  values: Record<string, string>;
};

/** A new version with the template placeholders ({{name}}) replaced by the given values. */
export function fillPlaceholders(input: FillPlaceholdersInput): Promise<UploadResult> {
  return unwrap(
    api.POST("/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/fill-placeholders", {
      params: { path: { team_id: input.teamId, dataset_id: input.datasetId, version_id: input.versionId } },
      body: { values: input.values, notes: "" },
    }),
  );
}

export function fillPlaceholdersMutationOptions(queryClient: QueryClient) {
  return datasetMutationOptions(queryClient, "fill-placeholders", fillPlaceholders);
}

export function useFillPlaceholders() {
  return useDatasetMutation("fill-placeholders", fillPlaceholders);
}
