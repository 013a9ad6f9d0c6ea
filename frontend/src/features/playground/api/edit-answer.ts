import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { FeedbackResult } from "@/lib/api/types";
import { afterFeedback } from "./keys";

/** A corrected answer: an SFT row in the team's edits dataset. */
export function editAnswer(generationId: string, text: string): Promise<FeedbackResult> {
  return unwrap(
    api.POST("/api/playground/generations/{generation_id}/edit", {
      params: { path: { generation_id: generationId } },
      body: { text },
    }),
  );
}

export function useEditAnswer(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ generationId, text }: { generationId: string; text: string }) => editAnswer(generationId, text),
    onSuccess: (result) => afterFeedback(queryClient, teamId, result),
  });
}
