import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { CredentialRead } from "@/lib/api/types";

export const credentialsQueryKey = ["credentials"] as const;

export function getCredentials(): Promise<CredentialRead[]> {
  return unwrap(api.GET("/api/credentials"));
}

export function credentialsQueryOptions() {
  return queryOptions({ queryKey: credentialsQueryKey, queryFn: getCredentials });
}

export function useCredentials() {
  return useQuery(credentialsQueryOptions());
}
