import { useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobKey, jobsKey } from "./keys";
import type { JobRead } from "@/lib/api/types";

// Cancel, retry and resume share one shape: POST /api/jobs/{id}/<action> → JobRead.
export type JobAction = "cancel" | "retry" | "resume";

export function runJobAction(jobId: string, action: JobAction): Promise<JobRead> {
  const params = { params: { path: { job_id: jobId } } };
  if (action === "cancel") return unwrap(api.POST("/api/jobs/{job_id}/cancel", params));
  if (action === "retry") return unwrap(api.POST("/api/jobs/{job_id}/retry", params));
  return unwrap(api.POST("/api/jobs/{job_id}/resume", params));
}

function invalidateJob(queryClient: QueryClient, job: Pick<JobRead, "id" | "team_id">) {
  void queryClient.invalidateQueries({ queryKey: jobKey(job.id) });
  void queryClient.invalidateQueries({ queryKey: jobsKey(job.team_id) });
}

export function useJobAction(action: JobAction) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (jobId: string) => runJobAction(jobId, action),
    onSuccess: (job) => {
      queryClient.setQueryData(jobKey(job.id), job);
      invalidateJob(queryClient, job);
    },
  });
}
