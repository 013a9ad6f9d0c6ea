import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { useDatasets } from "@/lib/api/list-datasets";

export type JobProgress = { hasJob: boolean; hasSucceededJob: boolean };

async function countJobs(teamId: string, status?: string): Promise<number> {
  const page = await unwrap(
    api.GET("/api/teams/{team_id}/jobs", {
      params: { path: { team_id: teamId }, query: { limit: 1, ...(status ? { status } : {}) } },
    }),
  );
  return page.total;
}

export async function getJobProgress(teamId: string): Promise<JobProgress> {
  const [all, succeeded] = await Promise.all([countJobs(teamId), countJobs(teamId, "succeeded")]);
  return { hasJob: all > 0, hasSucceededJob: succeeded > 0 };
}

// Under the team's jobs prefix, so the team feed's invalidation ticks the steps off as jobs change.
export function jobProgressQueryOptions(teamId: string) {
  return queryOptions({ queryKey: ["teams", teamId, "jobs", "first-steps"], queryFn: () => getJobProgress(teamId) });
}

export type FirstSteps = {
  /** A dataset whose latest version can be trained on. */
  hasUsableData: boolean;
  hasJob: boolean;
  hasSucceededJob: boolean;
};

/** Where the team stands on the getting-started path, from its real datasets and jobs. */
export function useFirstSteps(teamId: string | undefined): { data: FirstSteps | undefined; error: unknown } {
  const datasets = useDatasets(teamId);
  const jobs = useQuery({ ...jobProgressQueryOptions(teamId ?? ""), enabled: Boolean(teamId) });
  const error = datasets.error ?? jobs.error;
  if (!datasets.data || !jobs.data) return { data: undefined, error };
  return {
    data: {
      hasUsableData: datasets.data.some((dataset) => !dataset.archived && dataset.latest_version?.usable === true),
      ...jobs.data,
    },
    error,
  };
}
