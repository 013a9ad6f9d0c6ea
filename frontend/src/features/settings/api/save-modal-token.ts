import { mutationOptions, useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { CredentialRead } from "@/lib/api/types";
import { storeCredential } from "./cache";

export type ModalTokenInput = { token_id: string; token_secret: string };

export function saveModalToken(input: ModalTokenInput): Promise<CredentialRead> {
  return unwrap(api.PUT("/api/credentials/modal", { body: input }));
}

export function saveModalTokenMutationOptions(queryClient: QueryClient) {
  return mutationOptions({
    mutationKey: ["credentials", "modal", "save"],
    mutationFn: saveModalToken,
    onSuccess: (credential) => storeCredential(queryClient, credential),
  });
}

export function useSaveModalToken() {
  return useMutation(saveModalTokenMutationOptions(useQueryClient()));
}
