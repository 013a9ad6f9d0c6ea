import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { PlaygroundWorkers } from "@/lib/api/types";
import { workersKey } from "./keys";

/** Whether a worker can answer now; `note` says in plain words why not. */
export function getPlaygroundWorkers(teamId: string): Promise<PlaygroundWorkers> {
  return unwrap(api.GET("/api/teams/{team_id}/playground/workers", { params: { path: { team_id: teamId } } }));
}

export function playgroundWorkersQueryOptions(teamId: string) {
  return queryOptions({ queryKey: workersKey(teamId), queryFn: () => getPlaygroundWorkers(teamId), refetchInterval: 30_000 });
}

export function usePlaygroundWorkers(teamId: string | undefined) {
  return useQuery({ ...playgroundWorkersQueryOptions(teamId ?? ""), enabled: Boolean(teamId) });
}
