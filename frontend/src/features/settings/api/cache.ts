import type { QueryClient } from "@tanstack/react-query";
import type { CredentialRead, Provider } from "@/lib/api/types";
import { credentialsKey } from "@/lib/api/keys";

/** Puts a credential the server just returned into the list, then refetches the list. */
export function storeCredential(queryClient: QueryClient, credential: CredentialRead): void {
  queryClient.setQueryData<CredentialRead[]>(credentialsKey, (list = []) => [
    ...list.filter((item) => item.provider !== credential.provider),
    credential,
  ]);
  void queryClient.invalidateQueries({ queryKey: credentialsKey });
}

export function forgetCredential(queryClient: QueryClient, provider: Provider): void {
  queryClient.setQueryData<CredentialRead[]>(credentialsKey, (list = []) =>
    list.filter((item) => item.provider !== provider),
  );
  void queryClient.invalidateQueries({ queryKey: credentialsKey });
}
