import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { ApiError, unwrap } from "@/lib/api/errors";
import type { AuditPage } from "@/lib/api/types";

/** What the admin chose in the filter form; empty strings mean "any". Dates are days (YYYY-MM-DD), both included. */
export type AuditFilters = { action: string; actor: string; outcome: "" | "success" | "failure" | "refused"; from: string; to: string };

export const noFilters: AuditFilters = { action: "", actor: "", outcome: "", from: "", to: "" };

function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString();
}

/** The API's query: `from` at the start of its day, `to` before the start of the day after (so the last day counts). */
export function auditQuery(filters: AuditFilters) {
  return {
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.actor.trim() ? { actor: filters.actor.trim() } : {}),
    ...(filters.outcome ? { outcome: filters.outcome } : {}),
    ...(filters.from ? { from: `${filters.from}T00:00:00Z` } : {}),
    ...(filters.to ? { to: nextDay(filters.to) } : {}),
  };
}

export const auditKey = (teamId: string, filters: AuditFilters) => ["teams", teamId, "audit", filters] as const;

export function auditQueryOptions(teamId: string, filters: AuditFilters) {
  return infiniteQueryOptions({
    queryKey: auditKey(teamId, filters),
    queryFn: ({ pageParam }): Promise<AuditPage> =>
      unwrap(
        api.GET("/api/teams/{team_id}/audit", {
          params: { path: { team_id: teamId }, query: { ...auditQuery(filters), ...(pageParam ? { cursor: pageParam } : {}), limit: 50 } },
        }),
      ),
    initialPageParam: "",
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useAudit(teamId: string | undefined, filters: AuditFilters, enabled: boolean) {
  return useInfiniteQuery({ ...auditQueryOptions(teamId ?? "", filters), enabled: Boolean(teamId) && enabled });
}

/** Every event the filters match, as CSV, fetched with the bearer token (a plain link would carry none)
 * and handed to the browser as a file. */
export async function downloadAuditCsv(teamId: string, filters: AuditFilters): Promise<void> {
  const { data, error, response } = await api.GET("/api/teams/{team_id}/audit.csv", {
    params: { path: { team_id: teamId }, query: auditQuery(filters) },
    parseAs: "blob",
  });
  if (!response.ok) throw ApiError.fromResponse(response, error);
  const disposition = response.headers.get("content-disposition") ?? "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "audit.csv";
  const url = URL.createObjectURL((data as Blob | undefined) ?? new Blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
