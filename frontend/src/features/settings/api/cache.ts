import type { QueryClient } from "@tanstack/react-query";
import type { CredentialRead, Provider } from "@/lib/api/types";
import { credentialsQueryKey } from "./get-credentials";

/** Puts a credential the server just returned into the list, then refetches the list. */
export function storeCredential(queryClient: QueryClient, credential: CredentialRead): void {
  queryClient.setQueryData<CredentialRead[]>(credentialsQueryKey, (list = []) => [
    ...list.filter((item) => item.provider !== credential.provider),
    credential,
  ]);
  void queryClient.invalidateQueries({ queryKey: credentialsQueryKey });
}

export function forgetCredential(queryClient: QueryClient, provider: Provider): void {
  queryClient.setQueryData<CredentialRead[]>(credentialsQueryKey, (list = []) =>
    list.filter((item) => item.provider !== provider),
  );
  void queryClient.invalidateQueries({ queryKey: credentialsQueryKey });
}
