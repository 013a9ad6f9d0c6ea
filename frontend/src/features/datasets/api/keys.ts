// Query keys of the datasets feature; every mutation invalidates the team's `datasetsKey`.
// The datasets and versions lists are shared reads (the wizard lists them too): their keys live in @/lib/api/keys.
import { mutationOptions, useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { datasetKey, datasetsKey, versionsKey } from "@/lib/api/keys";

export { datasetKey, datasetsKey, versionsKey };
export const versionKey = (teamId: string, datasetId: string, versionId: string) =>
  [...versionsKey(teamId, datasetId), versionId] as const;

/** Options of a datasets mutation named `name`: it runs `mutationFn` and then invalidates the team's datasets. */
export function datasetMutationOptions<Input extends { teamId: string }, Result>(
  queryClient: QueryClient,
  name: string,
  mutationFn: (input: Input) => Promise<Result>,
) {
  return mutationOptions({
    mutationKey: ["datasets", name],
    mutationFn,
    onSuccess: (_result: Result, input: Input) => queryClient.invalidateQueries({ queryKey: datasetsKey(input.teamId) }),
  });
}

/** The hook for a datasets mutation (see datasetMutationOptions). */
export function useDatasetMutation<Input extends { teamId: string }, Result>(
  name: string,
  mutationFn: (input: Input) => Promise<Result>,
) {
  return useMutation(datasetMutationOptions(useQueryClient(), name, mutationFn));
}
