import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { TeamAnalytics } from "@/lib/api/types";

/** A period of whole UTC days, both included, as the API takes it (YYYY-MM-DD). */
export type Period = { from: string; to: string };

export const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** The last `days` days up to today (UTC): the API's own default is lastDays(30). */
export function lastDays(days: number, today = new Date()): Period {
  const from = new Date(today);
  from.setUTCDate(from.getUTCDate() - (days - 1));
  return { from: isoDay(from), to: isoDay(today) };
}

// Under the team's jobs prefix, so the team feed's invalidation refreshes it with the jobs.
export const analyticsKey = (teamId: string, period: Period) =>
  ["teams", teamId, "jobs", "analytics", period.from, period.to] as const;

export function getAnalytics(teamId: string, period: Period): Promise<TeamAnalytics> {
  return unwrap(
    api.GET("/api/teams/{team_id}/analytics", {
      params: { path: { team_id: teamId }, query: { from: period.from, to: period.to } },
    }),
  );
}

export function analyticsQueryOptions(teamId: string, period: Period) {
  return queryOptions({ queryKey: analyticsKey(teamId, period), queryFn: () => getAnalytics(teamId, period) });
}

/** Keeps the previous period's numbers on screen while another period loads. */
export function useAnalytics(teamId: string | undefined, period: Period) {
  return useQuery({ ...analyticsQueryOptions(teamId ?? "", period), enabled: Boolean(teamId), placeholderData: keepPreviousData });
}
