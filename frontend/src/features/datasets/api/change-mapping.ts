import type { QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { components } from "@/lib/api/schema";
import type { UploadResult } from "@/lib/api/types";
import { datasetMutationOptions, useDatasetMutation } from "./keys";

type Pattern = string | { regex: string };
type IngestOptions = components["schemas"]["IngestOptionsIn"];

export type MappingInput = {
  teamId: string;
  datasetId: string;
  versionId: string;
  /** A column mapping; or `options` to change how files are read (markdown transcripts' speakers). */
  format?: string;
  columns?: Record<string, string>;
  options?: { participants: Record<string, Pattern[]>; conversation_separator?: Pattern | null };
};

/** Re-reads the version's uploaded files with another format/column mapping, as a new version. */
export function changeMapping(input: MappingInput): Promise<UploadResult> {
  return unwrap(
    api.POST("/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/mapping", {
      params: { path: { team_id: input.teamId, dataset_id: input.datasetId, version_id: input.versionId } },
      body: {
        ...(input.format ? { mapping: { format: input.format, columns: input.columns ?? {} } } : {}),
        // Only the option fields sent change (the schema lists every field because each has a default).
        ...(input.options ? { options: input.options as IngestOptions } : {}),
        notes: "",
      },
    }),
  );
}

export function changeMappingMutationOptions(queryClient: QueryClient) {
  return datasetMutationOptions(queryClient, "mapping", changeMapping);
}

export function useChangeMapping() {
  return useDatasetMutation("mapping", changeMapping);
}
