import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { Info } from "@/lib/api/types";

export function getInfo(): Promise<Info> {
  return unwrap(api.GET("/api/info"));
}

export function infoQueryOptions() {
  // Polled so workers joining or leaving show up without a reload.
  return queryOptions({ queryKey: ["system", "info"], queryFn: getInfo, staleTime: 5_000, refetchInterval: 5_000 });
}

export function useInfo() {
  return useQuery(infoQueryOptions());
}
