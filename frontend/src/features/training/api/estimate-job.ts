import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobsKey } from "./keys";
import type { EstimateRead, JobCreate } from "@/lib/api/types";

/** Validates the settings exactly like a launch and estimates memory, time and cost on every target. */
export function estimateJob(teamId: string, body: JobCreate): Promise<EstimateRead> {
  return unwrap(api.POST("/api/teams/{team_id}/jobs/estimate", { params: { path: { team_id: teamId } }, body }));
}

// A query (not a mutation): it reads, and the same settings give the same answer.
export function estimateQueryOptions(teamId: string, body: JobCreate) {
  return queryOptions({
    queryKey: [...jobsKey(teamId), "estimate", body],
    queryFn: () => estimateJob(teamId, body),
    staleTime: 30_000,
    retry: false,
  });
}

export function useEstimate(teamId: string | undefined, body: JobCreate | null) {
  return useQuery({
    ...estimateQueryOptions(teamId ?? "", body ?? ({} as JobCreate)),
    enabled: Boolean(teamId && body),
    // Keep showing the last estimate while the next one is computed.
    placeholderData: keepPreviousData,
  });
}
