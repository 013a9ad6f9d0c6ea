import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { ModelRead } from "@/lib/api/types";

/** The team's registered models (each with its latest version): where the wizard can add a new version. */
export function listTeamModels(teamId: string): Promise<ModelRead[]> {
  return unwrap(api.GET("/api/teams/{team_id}/models", { params: { path: { team_id: teamId } } }));
}

export function useTeamModels(teamId: string | undefined) {
  return useQuery({
    // The models feature's key (modelsKey): its tag and version edits refresh this list too.
    queryKey: ["teams", teamId ?? "", "models"],
    queryFn: () => listTeamModels(teamId!),
    enabled: !!teamId,
    staleTime: 30_000,
  });
}
