import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";

export type Analytics = {
  days: number;
  total_jobs: number;
  by_status: Record<string, number>;
  by_method: Record<string, number>;
  per_day: { day: string; jobs: number; succeeded: number; failed: number }[];
  gpu_hours: number;
  cost_usd: number;
};

// Under the team's prefix, so the team feed's invalidation refreshes it with the jobs.
export const analyticsKey = (teamId: string, days: number) => ["teams", teamId, "jobs", "analytics", days] as const;

export function getAnalytics(teamId: string, days: number): Promise<Analytics> {
  return unwrap(
    api.GET("/api/teams/{team_id}/analytics", { params: { path: { team_id: teamId }, query: { days } } }),
  ) as Promise<Analytics>;
}

export function analyticsQueryOptions(teamId: string, days = 30) {
  return queryOptions({ queryKey: analyticsKey(teamId, days), queryFn: () => getAnalytics(teamId, days) });
}

export function useAnalytics(teamId: string | undefined, days = 30) {
  return useQuery({ ...analyticsQueryOptions(teamId ?? "", days), enabled: Boolean(teamId) });
}
