import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobKey } from "./keys";
import type { JobRead } from "@/lib/api/types";

export function getJob(jobId: string): Promise<JobRead> {
  return unwrap(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: jobId } } }));
}

export function jobQueryOptions(jobId: string) {
  return queryOptions({ queryKey: jobKey(jobId), queryFn: () => getJob(jobId) });
}

export function useJob(jobId: string) {
  return useQuery(jobQueryOptions(jobId));
}
