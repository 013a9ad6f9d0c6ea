import { api } from "@/lib/api/client";
import { ApiError } from "@/lib/api/errors";
import type { Period } from "./get-analytics";

/** The dashboard's numbers as CSV (one table, or all of them), fetched with the bearer token and
 * handed to the browser as a file: a plain link would carry no token. */
export async function downloadAnalyticsCsv(teamId: string, period: Period, table?: string): Promise<void> {
  const { data, error, response } = await api.GET("/api/teams/{team_id}/analytics.csv", {
    params: { path: { team_id: teamId }, query: { from: period.from, to: period.to, ...(table ? { table } : {}) } },
    parseAs: "blob",
  });
  if (!response.ok) throw ApiError.fromResponse(response, error);
  const url = URL.createObjectURL((data as Blob | undefined) ?? new Blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `analytics-${period.from}-${period.to}${table ? `-${table}` : ""}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
