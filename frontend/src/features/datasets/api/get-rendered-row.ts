import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { components } from "@/lib/api/schema";
import { versionKey } from "./keys";

export type RenderedRow = components["schemas"]["RenderedRow"];
export type RenderedRowQuery = {
  teamId: string;
  datasetId: string;
  versionId: string;
  row: number;
  split?: string;
  /** Whose chat template and tokenizer render the row (default tiny-llama). */
  baseModel?: BaseModelName;
};
export const BASE_MODELS = ["tiny-llama", "SmolLM2-135M-Instruct"] as const;
export type BaseModelName = (typeof BASE_MODELS)[number];

/** The row as the model sees it: tokens, and which of them the loss is computed on. */
export function getRenderedRow(q: RenderedRowQuery): Promise<RenderedRow> {
  return unwrap(
    api.GET("/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/rows/{row}/rendered", {
      params: {
        path: { team_id: q.teamId, dataset_id: q.datasetId, version_id: q.versionId, row: q.row },
        query: { split: q.split, base_model: q.baseModel },
      },
    }),
  );
}

export function renderedRowQueryOptions(q: RenderedRowQuery) {
  return queryOptions({
    queryKey: [...versionKey(q.teamId, q.datasetId, q.versionId), "rendered", q.split ?? "", q.row, q.baseModel ?? ""],
    queryFn: () => getRenderedRow(q),
    staleTime: Infinity,
  });
}

export function useRenderedRow(q: RenderedRowQuery) {
  return useQuery(renderedRowQueryOptions(q));
}
