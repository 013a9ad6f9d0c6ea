import { mutationOptions, useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { Provider } from "@/lib/api/types";
import { forgetCredential } from "./cache";

export async function deleteCredential(provider: Provider): Promise<void> {
  await unwrap(api.DELETE("/api/credentials/{provider}", { params: { path: { provider } } }));
}

export function deleteCredentialMutationOptions(queryClient: QueryClient, provider: Provider) {
  return mutationOptions({
    mutationKey: ["credentials", provider, "delete"],
    mutationFn: () => deleteCredential(provider),
    onSuccess: () => forgetCredential(queryClient, provider),
  });
}

export function useDeleteCredential(provider: Provider) {
  return useMutation(deleteCredentialMutationOptions(useQueryClient(), provider));
}
