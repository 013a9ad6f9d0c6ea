import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobKey } from "./keys";
import type { ModelVersionSummary } from "@/lib/api/types";

export function getJobModelVersion(jobId: string): Promise<ModelVersionSummary | null> {
  return unwrap(api.GET("/api/jobs/{job_id}/model-version", { params: { path: { job_id: jobId } } })) as Promise<
    ModelVersionSummary | null
  >;
}

/** The model version the job made (the registry): null until it succeeds, or when the version was deleted. */
export function useJobModelVersion(jobId: string, enabled: boolean) {
  return useQuery({ queryKey: [...jobKey(jobId), "model-version"], queryFn: () => getJobModelVersion(jobId), enabled });
}
