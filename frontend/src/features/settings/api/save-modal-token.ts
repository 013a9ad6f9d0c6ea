import { mutationOptions, useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { CredentialRead, ModalTokenIn } from "@/lib/api/types";
import { storeCredential } from "./cache";

export function saveModalToken(input: ModalTokenIn): Promise<CredentialRead> {
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
