import { mutationOptions, useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { CredentialRead } from "@/lib/api/types";
import { storeCredential } from "./cache";

export function saveHuggingFaceToken(token: string): Promise<CredentialRead> {
  return unwrap(api.PUT("/api/credentials/huggingface", { body: { token } }));
}

export function saveHuggingFaceTokenMutationOptions(queryClient: QueryClient) {
  return mutationOptions({
    mutationKey: ["credentials", "huggingface", "save"],
    mutationFn: saveHuggingFaceToken,
    onSuccess: (credential) => storeCredential(queryClient, credential),
  });
}

export function useSaveHuggingFaceToken() {
  return useMutation(saveHuggingFaceTokenMutationOptions(useQueryClient()));
}
