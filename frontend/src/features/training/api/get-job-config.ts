import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobKey } from "./keys";
import type { JobCreate } from "@/lib/api/types";

/** The job's settings in the shape the wizard submits ("run again with changes"). */
export function getJobConfig(jobId: string): Promise<Partial<JobCreate>> {
  return unwrap(api.GET("/api/jobs/{job_id}/config", { params: { path: { job_id: jobId } } })) as Promise<
    Partial<JobCreate>
  >;
}

export function jobConfigQueryOptions(jobId: string) {
  return queryOptions({ queryKey: [...jobKey(jobId), "config"], queryFn: () => getJobConfig(jobId), staleTime: Infinity });
}

export function useJobConfig(jobId: string | null) {
  return useQuery({ ...jobConfigQueryOptions(jobId ?? ""), enabled: Boolean(jobId) });
}
