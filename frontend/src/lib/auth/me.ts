import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { UserRead } from "@/lib/api/types";

// The signed-in user is shared by the shell, the dashboard and settings, so it lives in lib.
export const meQueryKey = ["auth", "me"] as const;

export function getMe(): Promise<UserRead> {
  return unwrap(api.GET("/api/auth/me"));
}

export function meQueryOptions() {
  return queryOptions({ queryKey: meQueryKey, queryFn: getMe, staleTime: 60_000 });
}

export function useMe() {
  return useQuery(meQueryOptions());
}
