import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobKey, jobsKey } from "./keys";
import type { JobRead } from "@/lib/api/types";

export function deleteJob(jobId: string): Promise<void> {
  return unwrap(api.DELETE("/api/jobs/{job_id}", { params: { path: { job_id: jobId } } })) as Promise<void>;
}

export function useDeleteJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (job: Pick<JobRead, "id" | "team_id">) => deleteJob(job.id),
    onSuccess: (_, job) => {
      queryClient.removeQueries({ queryKey: jobKey(job.id) });
      void queryClient.invalidateQueries({ queryKey: jobsKey(job.team_id) });
    },
  });
}
