import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { BatchCreate, BatchRead } from "@/lib/api/types";
import { batchesKey, batchKey } from "./keys";

/** Answers a dataset version's prompts with 2–4 models on a worker, then scores them. */
export function createBatch(teamId: string, body: BatchCreate): Promise<BatchRead> {
  return unwrap(api.POST("/api/teams/{team_id}/batch-compares", { params: { path: { team_id: teamId } }, body }));
}

export function useCreateBatch(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: BatchCreate) => createBatch(teamId, body),
    onSuccess: (batch) => {
      queryClient.setQueryData(batchKey(batch.id), batch);
      void queryClient.invalidateQueries({ queryKey: batchesKey(teamId) });
    },
  });
}
