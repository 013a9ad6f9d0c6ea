import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobKey } from "./keys";

/** The resolved spec as YAML, runnable with `tuneforge train`. */
export function getSpecYaml(jobId: string): Promise<string> {
  return unwrap(api.GET("/api/jobs/{job_id}/spec.yaml", { params: { path: { job_id: jobId } }, parseAs: "text" })) as Promise<string>;
}

export function specYamlQueryOptions(jobId: string) {
  return queryOptions({ queryKey: [...jobKey(jobId), "spec.yaml"], queryFn: () => getSpecYaml(jobId) });
}

export function useSpecYaml(jobId: string, enabled: boolean) {
  return useQuery({ ...specYamlQueryOptions(jobId), enabled });
}
