import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { BatchRead } from "@/lib/api/types";
import { batchesKey, batchKey } from "./keys";

export function cancelBatch(batchId: string): Promise<BatchRead> {
  return unwrap(api.POST("/api/batch-compares/{batch_id}/cancel", { params: { path: { batch_id: batchId } } }));
}

export function useCancelBatch(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelBatch,
    onSuccess: (batch) => {
      queryClient.setQueryData(batchKey(batch.id), batch);
      void queryClient.invalidateQueries({ queryKey: batchesKey(teamId) });
    },
  });
}
