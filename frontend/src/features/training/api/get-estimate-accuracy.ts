import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobsKey } from "./keys";
import type { EstimateAccuracy } from "@/lib/api/types";

/** Actual / estimated wall time over the team's last `limit` succeeded jobs (recorded as each ended). */
export function getEstimateAccuracy(teamId: string, limit = 12): Promise<EstimateAccuracy> {
  return unwrap(
    api.GET("/api/teams/{team_id}/estimate-accuracy", { params: { path: { team_id: teamId }, query: { limit } } }),
  );
}

export function estimateAccuracyQueryOptions(teamId: string, limit = 12) {
  return queryOptions({
    // Under the team's jobs: whatever refreshes the job list refreshes this.
    queryKey: [...jobsKey(teamId), "estimate-accuracy", limit],
    queryFn: () => getEstimateAccuracy(teamId, limit),
    staleTime: 60_000,
    retry: false,
  });
}

export function useEstimateAccuracy(teamId: string | undefined, enabled = true) {
  return useQuery({ ...estimateAccuracyQueryOptions(teamId ?? ""), enabled: Boolean(teamId) && enabled });
}
