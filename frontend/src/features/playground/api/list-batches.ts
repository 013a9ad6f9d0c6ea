import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { BatchSummary } from "@/lib/api/types";
import { batchesKey } from "./keys";

export function listBatches(teamId: string): Promise<BatchSummary[]> {
  return unwrap(api.GET("/api/teams/{team_id}/batch-compares", { params: { path: { team_id: teamId } } }));
}

export function batchesQueryOptions(teamId: string) {
  return queryOptions({ queryKey: batchesKey(teamId), queryFn: () => listBatches(teamId) });
}

export function useBatches(teamId: string | undefined) {
  return useQuery({ ...batchesQueryOptions(teamId ?? ""), enabled: Boolean(teamId) });
}
