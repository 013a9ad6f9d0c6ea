import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { GenerationRead } from "@/lib/api/types";
import { storeAnswers } from "./keys";

/** Stops an answer: a queued one at once, a running one at its next token (the text so far is kept). */
export function cancelGeneration(generationId: string): Promise<GenerationRead> {
  return unwrap(api.POST("/api/playground/generations/{generation_id}/cancel", { params: { path: { generation_id: generationId } } }));
}

export function useCancelGeneration() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelGeneration,
    onSuccess: (answer) => storeAnswers(queryClient, [answer]),
  });
}
