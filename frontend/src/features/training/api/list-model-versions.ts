import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { ModelVersionSummary } from "@/lib/api/types";

/** The team's unarchived model versions, newest first: base models the wizard offers as `version:<id>`. */
export function listTeamModelVersions(teamId: string): Promise<ModelVersionSummary[]> {
  return unwrap(api.GET("/api/teams/{team_id}/model-versions", { params: { path: { team_id: teamId } } }));
}

export function useTeamModelVersions(teamId: string | undefined) {
  return useQuery({
    queryKey: ["teams", teamId ?? "", "model-versions", { includeArchived: false }],
    queryFn: () => listTeamModelVersions(teamId!),
    enabled: !!teamId,
    staleTime: 30_000,
  });
}
