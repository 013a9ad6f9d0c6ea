import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { jobKey, jobsKey } from "./keys";
import type { JobCreate, JobRead } from "@/lib/api/types";

export function createJob(teamId: string, body: JobCreate): Promise<JobRead> {
  return unwrap(api.POST("/api/teams/{team_id}/jobs", { params: { path: { team_id: teamId } }, body }));
}

export function useCreateJob(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: JobCreate) => createJob(teamId, body),
    onSuccess: (job) => {
      queryClient.setQueryData(jobKey(job.id), job);
      void queryClient.invalidateQueries({ queryKey: jobsKey(teamId) });
    },
  });
}
