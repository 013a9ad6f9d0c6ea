import { mutationOptions, useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { datasetKey, datasetsKey } from "./keys";

export type DeleteDatasetInput = { teamId: string; datasetId: string };

/** DELETE …/datasets/{id}: every version and file. 409 (with the jobs named) while a job uses a version. */
export async function deleteDataset(input: DeleteDatasetInput): Promise<void> {
  await unwrap(
    api.DELETE("/api/teams/{team_id}/datasets/{dataset_id}", {
      params: { path: { team_id: input.teamId, dataset_id: input.datasetId } },
    }),
  );
}

export function deleteDatasetMutationOptions(queryClient: QueryClient) {
  return mutationOptions({
    mutationKey: ["datasets", "delete"],
    mutationFn: deleteDataset,
    // Refresh the lists, not the deleted dataset's own queries (they would answer 404).
    onSuccess: (_result, input) =>
      queryClient.invalidateQueries({
        queryKey: datasetsKey(input.teamId),
        predicate: (query) => query.queryKey[datasetKey(input.teamId, input.datasetId).length - 1] !== input.datasetId,
      }),
  });
}

export function useDeleteDataset() {
  return useMutation(deleteDatasetMutationOptions(useQueryClient()));
}
