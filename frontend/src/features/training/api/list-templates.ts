import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { templatesKey } from "./keys";
import type { TemplateRead } from "@/lib/api/types";

export function listTemplates(teamId: string): Promise<TemplateRead[]> {
  return unwrap(api.GET("/api/teams/{team_id}/job-templates", { params: { path: { team_id: teamId } } }));
}

export function templatesQueryOptions(teamId: string) {
  return queryOptions({ queryKey: templatesKey(teamId), queryFn: () => listTemplates(teamId) });
}

export function useTemplates(teamId: string | undefined) {
  return useQuery({ ...templatesQueryOptions(teamId ?? ""), enabled: Boolean(teamId) });
}
