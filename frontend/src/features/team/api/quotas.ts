import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { ModalTokenIn, QuotasUpdate } from "@/lib/api/types";

export const quotasKey = (teamId: string) => ["teams", teamId, "quotas"] as const;
export const teamCredentialsKey = (teamId: string) => ["teams", teamId, "credentials"] as const;

const path = (teamId: string) => ({ params: { path: { team_id: teamId } } });

/** Each limit with the team's current use (GET /api/teams/{id}/quotas). */
export function useQuotas(teamId: string) {
  return useQuery({ queryKey: quotasKey(teamId), queryFn: () => unwrap(api.GET("/api/teams/{team_id}/quotas", path(teamId))) });
}

export function useSetQuotas(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: QuotasUpdate) => unwrap(api.PUT("/api/teams/{team_id}/quotas", { ...path(teamId), body })),
    onSuccess: (data) => queryClient.setQueryData(quotasKey(teamId), data),
  });
}

/** Which team tokens are set and the team's Ollama server — never a secret. */
export function useTeamCredentials(teamId: string) {
  return useQuery({
    queryKey: teamCredentialsKey(teamId),
    queryFn: () => unwrap(api.GET("/api/teams/{team_id}/credentials", path(teamId))),
  });
}

function useTeamCredentialMutation<T>(teamId: string, run: (value: T) => Promise<unknown>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSettled: () => void queryClient.invalidateQueries({ queryKey: teamCredentialsKey(teamId) }),
  });
}

export function useSaveTeamHuggingFace(teamId: string) {
  return useTeamCredentialMutation(teamId, (token: string) =>
    unwrap(api.PUT("/api/teams/{team_id}/credentials/huggingface", { ...path(teamId), body: { token } })),
  );
}

export function useSaveTeamModal(teamId: string) {
  return useTeamCredentialMutation(teamId, (body: ModalTokenIn) =>
    unwrap(api.PUT("/api/teams/{team_id}/credentials/modal", { ...path(teamId), body })),
  );
}

export function useRemoveTeamToken(teamId: string) {
  return useTeamCredentialMutation(teamId, (provider: "huggingface" | "modal") =>
    unwrap(
      api.DELETE("/api/teams/{team_id}/credentials/{provider}", { params: { path: { team_id: teamId, provider } } }),
    ),
  );
}

export function useSetTeamOllamaUrl(teamId: string) {
  return useTeamCredentialMutation(teamId, (url: string) =>
    unwrap(api.PUT("/api/teams/{team_id}/ollama-url", { ...path(teamId), body: { url } })),
  );
}

export function useRemoveTeamOllamaUrl(teamId: string) {
  return useTeamCredentialMutation(teamId, (_: void) => unwrap(api.DELETE("/api/teams/{team_id}/ollama-url", path(teamId))));
}
