import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { GenerationRead } from "@/lib/api/types";
import { generationKey } from "./keys";

export function getGeneration(generationId: string): Promise<GenerationRead> {
  return unwrap(api.GET("/api/playground/generations/{generation_id}", { params: { path: { generation_id: generationId } } }));
}

/** An answer as its turn gave it; the WebSocket keeps the entry current, so it is never refetched. */
export function answerQueryOptions(answer: GenerationRead) {
  return queryOptions({
    queryKey: generationKey(answer.id),
    queryFn: () => getGeneration(answer.id),
    initialData: answer,
    staleTime: Infinity,
  });
}

export function useAnswer(answer: GenerationRead): GenerationRead {
  return useQuery(answerQueryOptions(answer)).data;
}
