import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./errors";
import { credentialsKey } from "./keys";
import type { CredentialRead } from "./types";

/** Which tokens the user saved (Settings lists them; the wizard says "Add a Modal token" before a Modal launch). */
export function getCredentials(): Promise<CredentialRead[]> {
  return unwrap(api.GET("/api/credentials"));
}

export function credentialsQueryOptions() {
  return queryOptions({ queryKey: credentialsKey, queryFn: getCredentials });
}

export function useCredentials() {
  return useQuery(credentialsQueryOptions());
}
