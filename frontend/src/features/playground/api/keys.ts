import type { QueryClient } from "@tanstack/react-query";
import { datasetsKey } from "@/lib/api/keys";
import type { FeedbackResult, GenerationRead } from "@/lib/api/types";
import { mergeGeneration } from "../lib/generation-stream";

// Query keys of the playground. An answer's entry is fed by its WebSocket (use-generation-stream.ts);
// feedback invalidates the team's feedback datasets and datasets (a save makes a new dataset version).
export const playgroundKey = (teamId: string) => ["teams", teamId, "playground"] as const;
export const workersKey = (teamId: string) => [...playgroundKey(teamId), "workers"] as const;
export const feedbackDatasetsKey = (teamId: string) => [...playgroundKey(teamId), "feedback"] as const;
export const generationKey = (generationId: string) => ["playground", "generations", generationId] as const;
export const batchesKey = (teamId: string) => ["teams", teamId, "batch-compares"] as const;
export const batchKey = (batchId: string) => ["batch-compares", batchId] as const;

/** Puts answers read over HTTP into their cache entries, never going back on text already streamed. */
export function storeAnswers(queryClient: QueryClient, answers: GenerationRead[]) {
  for (const answer of answers) {
    queryClient.setQueryData<GenerationRead>(generationKey(answer.id), (current) => mergeGeneration(current, answer));
  }
}

/** After a pick, rating or edit: the turn's answers (revealed, rated) and the lists the new dataset version changes. */
export function afterFeedback(queryClient: QueryClient, teamId: string, result: FeedbackResult) {
  if (result.turn) storeAnswers(queryClient, result.turn.answers);
  if (result.saved) {
    void queryClient.invalidateQueries({ queryKey: feedbackDatasetsKey(teamId) });
    void queryClient.invalidateQueries({ queryKey: datasetsKey(teamId) });
  }
}
