import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { FeedbackResult } from "@/lib/api/types";
import { afterFeedback } from "./keys";

export type PickChoice = "a" | "b" | "tie";

/** The better of two answers: a preference row (none for a tie); a blind turn shows its models. */
export function pickAnswer(turnId: string, choice: PickChoice): Promise<FeedbackResult> {
  return unwrap(api.POST("/api/playground/turns/{turn_id}/pick", { params: { path: { turn_id: turnId } }, body: { choice } }));
}

export function usePickAnswer(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ turnId, choice }: { turnId: string; choice: PickChoice }) => pickAnswer(turnId, choice),
    onSuccess: (result) => afterFeedback(queryClient, teamId, result),
  });
}
