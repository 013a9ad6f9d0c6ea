import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobsKey } from "./keys";
import type { paths } from "@/lib/api/schema";
import type { JobPage } from "@/lib/api/types";

/** The list's query parameters (status: comma-separated). */
export type JobFilters = NonNullable<paths["/api/teams/{team_id}/jobs"]["get"]["parameters"]["query"]>;

export function listJobs(teamId: string, filters: JobFilters = {}): Promise<JobPage> {
  const query = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined && value !== ""));
  return unwrap(api.GET("/api/teams/{team_id}/jobs", { params: { path: { team_id: teamId }, query } }));
}

export function jobsQueryOptions(teamId: string, filters: JobFilters = {}) {
  return queryOptions({
    queryKey: [...jobsKey(teamId), "list", filters],
    queryFn: () => listJobs(teamId, filters),
    placeholderData: keepPreviousData,
  });
}

export function useJobs(teamId: string | undefined, filters: JobFilters = {}) {
  return useQuery({ ...jobsQueryOptions(teamId ?? "", filters), enabled: Boolean(teamId) });
}
