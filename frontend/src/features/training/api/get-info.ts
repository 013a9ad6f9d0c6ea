import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { infoKey } from "./keys";
import type { Info } from "./types";

/** Methods, adapters, presets, base models and live workers (the wizard's choices). */
export function getInfo(): Promise<Info> {
  return unwrap(api.GET("/api/info"));
}

export function infoQueryOptions() {
  return queryOptions({ queryKey: infoKey, queryFn: getInfo, staleTime: 5_000, refetchInterval: 10_000 });
}

export function useInfo() {
  return useQuery(infoQueryOptions());
}
