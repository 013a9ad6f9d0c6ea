import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { credentialsKey } from "./keys";
import type { CredentialRead } from "./types";

/** Which tokens the user saved (to say "Add a Modal token in Settings" before a Modal launch). */
export function getCredentials(): Promise<CredentialRead[]> {
  return unwrap(api.GET("/api/credentials"));
}

export function credentialsQueryOptions() {
  return queryOptions({ queryKey: credentialsKey, queryFn: getCredentials });
}

export function useCredentials() {
  return useQuery(credentialsQueryOptions());
}
