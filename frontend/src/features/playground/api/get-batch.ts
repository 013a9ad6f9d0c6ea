import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { BatchRead } from "@/lib/api/types";
import { batchKey } from "./keys";

export const BATCH_POLL_MS = 2000;

export function getBatch(batchId: string): Promise<BatchRead> {
  return unwrap(api.GET("/api/batch-compares/{batch_id}", { params: { path: { batch_id: batchId } } }));
}

export function batchInProgress(batch: Pick<BatchRead, "status"> | undefined): boolean {
  return batch?.status === "queued" || batch?.status === "running";
}

/** A comparison, read again every 2 s while it is queued or running. */
export function batchQueryOptions(batchId: string) {
  return queryOptions({
    queryKey: batchKey(batchId),
    queryFn: () => getBatch(batchId),
    refetchInterval: (query) => (batchInProgress(query.state.data) ? BATCH_POLL_MS : false),
  });
}

export function useBatch(batchId: string) {
  return useQuery(batchQueryOptions(batchId));
}
