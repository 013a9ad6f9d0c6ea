import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { TeamAnalytics } from "@/lib/api/types";

// Under the team's prefix, so the team feed's invalidation refreshes it with the jobs.
export const analyticsKey = (teamId: string, days: number) => ["teams", teamId, "jobs", "analytics", days] as const;

export function getAnalytics(teamId: string, days: number): Promise<TeamAnalytics> {
  return unwrap(api.GET("/api/teams/{team_id}/analytics", { params: { path: { team_id: teamId }, query: { days } } }));
}

export function analyticsQueryOptions(teamId: string, days = 30) {
  return queryOptions({ queryKey: analyticsKey(teamId, days), queryFn: () => getAnalytics(teamId, days) });
}

export function useAnalytics(teamId: string | undefined, days = 30) {
  return useQuery({ ...analyticsQueryOptions(teamId ?? "", days), enabled: Boolean(teamId) });
}
