import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { InvitationCreate, Role } from "@/lib/api/types";
import { setCurrentTeamId } from "@/lib/auth/current-team";
import { meQueryKey } from "@/lib/auth/me";

export const teamKey = (teamId: string) => ["teams", teamId, "detail"] as const;
export const invitationsKey = (teamId: string) => ["teams", teamId, "invitations"] as const;
export const invitationKey = (token: string) => ["invitations", token] as const;

export function teamQueryOptions(teamId: string) {
  return queryOptions({
    queryKey: teamKey(teamId),
    queryFn: () => unwrap(api.GET("/api/teams/{team_id}", { params: { path: { team_id: teamId } } })),
  });
}

export function useTeam(teamId: string | undefined) {
  return useQuery({ ...teamQueryOptions(teamId ?? ""), enabled: Boolean(teamId) });
}

export function useInvitations(teamId: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: invitationsKey(teamId ?? ""),
    queryFn: () => unwrap(api.GET("/api/teams/{team_id}/invitations", { params: { path: { team_id: teamId ?? "" } } })),
    enabled: Boolean(teamId) && enabled,
  });
}

export function useInvite(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: InvitationCreate) =>
      unwrap(api.POST("/api/teams/{team_id}/invitations", { params: { path: { team_id: teamId } }, body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: invitationsKey(teamId) }),
  });
}

export function useRevokeInvitation(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (invitationId: string) =>
      unwrap(
        api.DELETE("/api/teams/{team_id}/invitations/{invitation_id}", {
          params: { path: { team_id: teamId, invitation_id: invitationId } },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: invitationsKey(teamId) }),
  });
}

/** After a change to members or the team: the team page and the signed-in user's teams are read again. */
function useRefreshTeam(teamId: string) {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: teamKey(teamId) });
    void queryClient.invalidateQueries({ queryKey: meQueryKey });
  };
}

export function useChangeRole(teamId: string) {
  const refresh = useRefreshTeam(teamId);
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      unwrap(
        api.PATCH("/api/teams/{team_id}/members/{user_id}", {
          params: { path: { team_id: teamId, user_id: userId } },
          body: { role },
        }),
      ),
    onSettled: refresh,
  });
}

export function useRemoveMember(teamId: string) {
  const refresh = useRefreshTeam(teamId);
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(
        api.DELETE("/api/teams/{team_id}/members/{user_id}", { params: { path: { team_id: teamId, user_id: userId } } }),
      ),
    onSuccess: refresh,
  });
}

export function useRenameTeam(teamId: string) {
  const refresh = useRefreshTeam(teamId);
  return useMutation({
    mutationFn: (name: string) =>
      unwrap(api.PATCH("/api/teams/{team_id}", { params: { path: { team_id: teamId } }, body: { name } })),
    onSuccess: refresh,
  });
}

export function useHandOver(teamId: string) {
  const refresh = useRefreshTeam(teamId);
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.POST("/api/teams/{team_id}/hand-over", { params: { path: { team_id: teamId } }, body: { user_id: userId } })),
    onSuccess: refresh,
  });
}

/** Leaving or deleting: the team is gone for this user, so the personal team becomes the active one. */
function useGone() {
  const queryClient = useQueryClient();
  return () => {
    setCurrentTeamId(null);
    void queryClient.invalidateQueries({ queryKey: meQueryKey });
  };
}

export function useLeaveTeam(teamId: string) {
  const gone = useGone();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/teams/{team_id}/leave", { params: { path: { team_id: teamId } } })),
    onSuccess: gone,
  });
}

export function useDeleteTeam(teamId: string) {
  const gone = useGone();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/teams/{team_id}", { params: { path: { team_id: teamId } } })),
    onSuccess: gone,
  });
}

export function useCreateTeam() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/teams", { body: { name } })),
    onSuccess: async (team) => {
      await queryClient.invalidateQueries({ queryKey: meQueryKey });
      setCurrentTeamId(team.id);
    },
  });
}

export function useInvitation(token: string) {
  return useQuery({
    queryKey: invitationKey(token),
    queryFn: () => unwrap(api.GET("/api/invitations/{token}", { params: { path: { token } } })),
  });
}

export function useAcceptInvitation(token: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/invitations/{token}/accept", { params: { path: { token } } })),
    onSuccess: async (team) => {
      await queryClient.invalidateQueries({ queryKey: meQueryKey });
      setCurrentTeamId(team.id);
    },
    onError: () => void queryClient.invalidateQueries({ queryKey: invitationKey(token) }),
  });
}

export function useDeclineInvitation(token: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/invitations/{token}/decline", { params: { path: { token } } })),
    onSuccess: (view) => queryClient.setQueryData(invitationKey(token), view),
    onError: () => void queryClient.invalidateQueries({ queryKey: invitationKey(token) }),
  });
}
