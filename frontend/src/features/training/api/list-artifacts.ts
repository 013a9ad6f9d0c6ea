import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobKey } from "./keys";
import type { ArtifactRead } from "@/lib/api/types";

export function listArtifacts(jobId: string): Promise<ArtifactRead[]> {
  return unwrap(api.GET("/api/jobs/{job_id}/artifacts", { params: { path: { job_id: jobId } } }));
}

export function artifactsQueryOptions(jobId: string) {
  return queryOptions({ queryKey: [...jobKey(jobId), "artifacts"], queryFn: () => listArtifacts(jobId) });
}

export function useArtifacts(jobId: string, enabled = true) {
  return useQuery({ ...artifactsQueryOptions(jobId), enabled });
}
