import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { ApiTokenCreate } from "@/lib/api/types";

export const apiTokensKey = ["api-tokens"] as const;

export function useApiTokens() {
  return useQuery({ queryKey: apiTokensKey, queryFn: () => unwrap(api.GET("/api/tokens")) });
}

/** The answer holds the token itself: it is kept in the form's state only, never in the query cache. */
export function useCreateApiToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiTokenCreate) => unwrap(api.POST("/api/tokens", { body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: apiTokensKey }),
  });
}

export function useRevokeApiToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (tokenId: string) =>
      unwrap(api.DELETE("/api/tokens/{token_id}", { params: { path: { token_id: tokenId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: apiTokensKey }),
  });
}
