import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./errors";
import { infoKey } from "./keys";
import type { Info } from "./types";

/** Methods, adapters, presets, base models and live workers (the wizard's choices, the dashboard's workers). */
export function getInfo(): Promise<Info> {
  return unwrap(api.GET("/api/info"));
}

export function infoQueryOptions() {
  // Polled so workers joining or leaving show up without a reload.
  return queryOptions({ queryKey: infoKey, queryFn: getInfo, staleTime: 5_000, refetchInterval: 5_000 });
}

export function useInfo() {
  return useQuery(infoQueryOptions());
}
