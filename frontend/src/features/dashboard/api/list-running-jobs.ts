import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { JobRead } from "@/lib/api/types";

export function listRunningJobs(teamId: string): Promise<JobRead[]> {
  return unwrap(
    api.GET("/api/teams/{team_id}/jobs", {
      params: { path: { team_id: teamId }, query: { status: "queued,running,cancelling", limit: 20 } },
    }),
  ).then((page) => page.items);
}

export function runningJobsQueryOptions(teamId: string) {
  return queryOptions({ queryKey: ["teams", teamId, "jobs", "running"], queryFn: () => listRunningJobs(teamId) });
}

export function useRunningJobs(teamId: string | undefined) {
  return useQuery({ ...runningJobsQueryOptions(teamId ?? ""), enabled: Boolean(teamId) });
}
