import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { IssuePage, IssueRead } from "@/lib/api/types";
import { versionKey } from "./keys";

export type IssuesQuery = {
  teamId: string;
  datasetId: string;
  versionId: string;
  severity?: IssueRead["severity"];
  /** Only issues of this code (one group of the issue list). */
  code?: string;
  offset: number;
  limit: number;
};

export function listIssues(q: IssuesQuery): Promise<IssuePage> {
  return unwrap(
    api.GET("/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/issues", {
      params: {
        path: { team_id: q.teamId, dataset_id: q.datasetId, version_id: q.versionId },
        query: { severity: q.severity, code: q.code, offset: q.offset, limit: q.limit },
      },
    }),
  );
}

export function issuesQueryOptions(q: IssuesQuery) {
  return queryOptions({
    queryKey: [...versionKey(q.teamId, q.datasetId, q.versionId), "issues", q.severity ?? "all", q.code ?? "", q.offset, q.limit],
    queryFn: () => listIssues(q),
    placeholderData: keepPreviousData,
  });
}

export function useIssues(q: IssuesQuery) {
  return useQuery(issuesQueryOptions(q));
}
