import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { PreviewPage } from "@/lib/api/types";
import { versionKey } from "./keys";

export type RowsQuery = { teamId: string; datasetId: string; versionId: string; split?: string; offset: number; limit: number };

export function listRows(q: RowsQuery): Promise<PreviewPage> {
  return unwrap(
    api.GET("/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/rows", {
      params: {
        path: { team_id: q.teamId, dataset_id: q.datasetId, version_id: q.versionId },
        query: { split: q.split, offset: q.offset, limit: q.limit },
      },
    }),
  );
}

export function rowsQueryOptions(q: RowsQuery) {
  return queryOptions({
    queryKey: [...versionKey(q.teamId, q.datasetId, q.versionId), "rows", q.split ?? "", q.offset, q.limit],
    queryFn: () => listRows(q),
    placeholderData: keepPreviousData,
  });
}

export function useRows(q: RowsQuery) {
  return useQuery(rowsQueryOptions(q));
}
