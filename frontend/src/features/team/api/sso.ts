import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";

export const teamSsoKey = (teamId: string) => ["teams", teamId, "sso"] as const;

export function useTeamSso(teamId: string) {
  return useQuery({
    queryKey: teamSsoKey(teamId),
    queryFn: () => unwrap(api.GET("/api/teams/{team_id}/sso", { params: { path: { team_id: teamId } } })),
  });
}

export function useSetTeamSso(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ssoOnly: boolean) =>
      unwrap(api.PUT("/api/teams/{team_id}/sso", { params: { path: { team_id: teamId } }, body: { sso_only: ssoOnly } })),
    onSuccess: (answer) => queryClient.setQueryData(teamSsoKey(teamId), answer),
  });
}
