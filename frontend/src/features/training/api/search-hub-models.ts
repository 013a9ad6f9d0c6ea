import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { hubSearchKey } from "./keys";
import type { HubSearch } from "@/lib/api/types";

/** Text-generation models on the Hugging Face Hub whose id contains `search` (the server asks the Hub). */
export function searchHubModels(search: string): Promise<HubSearch> {
  return unwrap(api.GET("/api/hub/models", { params: { query: { search } } }));
}

export function useHubSearch(search: string) {
  const query = search.trim();
  return useQuery({
    queryKey: hubSearchKey(query),
    queryFn: () => searchHubModels(query),
    enabled: query.length >= 2,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false, // an offline Hub answers at once with what to do instead; retrying only delays that
  });
}
