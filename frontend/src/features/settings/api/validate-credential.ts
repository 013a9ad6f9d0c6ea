import { mutationOptions, useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { CredentialRead, Provider } from "@/lib/api/types";
import { storeCredential } from "./cache";

export function validateCredential(provider: Provider): Promise<CredentialRead> {
  return unwrap(api.POST("/api/credentials/{provider}/validate", { params: { path: { provider } } }));
}

export function validateCredentialMutationOptions(queryClient: QueryClient, provider: Provider) {
  return mutationOptions({
    mutationKey: ["credentials", provider, "validate"],
    mutationFn: () => validateCredential(provider),
    onSuccess: (credential) => storeCredential(queryClient, credential),
  });
}

export function useValidateCredential(provider: Provider) {
  return useMutation(validateCredentialMutationOptions(useQueryClient(), provider));
}
