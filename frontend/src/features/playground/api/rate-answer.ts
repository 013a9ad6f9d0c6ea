import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { FeedbackResult } from "@/lib/api/types";
import { afterFeedback } from "./keys";

/** Thumbs up or down: a KTO row in the team's ratings dataset. */
export function rateAnswer(generationId: string, rating: "up" | "down"): Promise<FeedbackResult> {
  return unwrap(
    api.POST("/api/playground/generations/{generation_id}/rating", {
      params: { path: { generation_id: generationId } },
      body: { rating },
    }),
  );
}

export function useRateAnswer(teamId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ generationId, rating }: { generationId: string; rating: "up" | "down" }) => rateAnswer(generationId, rating),
    onSuccess: (result) => afterFeedback(queryClient, teamId, result),
  });
}
