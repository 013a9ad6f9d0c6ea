import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { BatchRead, FeedbackResult } from "@/lib/api/types";
import { afterFeedback, batchKey } from "./keys";

/** The better answer of one row (`choice` = the target's index): preference rows against each other answer. */
export function pickBatchRow(batchId: string, row: number, choice: number): Promise<FeedbackResult> {
  return unwrap(
    api.POST("/api/batch-compares/{batch_id}/picks", { params: { path: { batch_id: batchId } }, body: { row, choice } }),
  );
}

export function usePickBatchRow(teamId: string, batchId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ row, choice }: { row: number; choice: number }) => pickBatchRow(batchId, row, choice),
    onSuccess: (result, { row, choice }) => {
      afterFeedback(queryClient, teamId, result);
      // The row's pick is stored on the comparison: show it now, then read it back.
      queryClient.setQueryData<BatchRead>(batchKey(batchId), (batch) =>
        batch ? { ...batch, rows: batch.rows.map((r, i) => (i === row ? { ...r, pick: choice } : r)) } : batch,
      );
      void queryClient.invalidateQueries({ queryKey: batchKey(batchId) });
    },
  });
}
