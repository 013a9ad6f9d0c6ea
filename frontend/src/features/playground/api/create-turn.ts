import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { TurnCreate, TurnRead } from "@/lib/api/types";
import { storeAnswers } from "./keys";

/** Asks one model, or two side by side; 503 (no worker can load it), 404 and 409 carry a `detail` to show. */
export function createTurn(teamId: string, body: TurnCreate): Promise<TurnRead> {
  return unwrap(api.POST("/api/teams/{team_id}/playground/turns", { params: { path: { team_id: teamId } }, body }));
}

export function useCreateTurn(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TurnCreate) => createTurn(teamId, body),
    onSuccess: (turn) => storeAnswers(queryClient, turn.answers),
  });
}
