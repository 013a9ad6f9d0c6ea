import { queryOptions, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { ApiError, unwrap } from "@/lib/api/errors";
import type { PublicationCreate, PublicationRead, PublishedFile, PublishingOptions } from "@/lib/api/types";

// Query keys of publishing. The history of a version is one entry; each publication has its own entry,
// seeded from the history and polled on its own while it is queued or running.
export const publishingOptionsKey = ["publishing", "options"] as const;
export const publicationsKey = (versionId: string) => ["publications", "of-version", versionId] as const;
export const publicationKey = (publicationId: string) => ["publications", publicationId] as const;

export const PUBLICATION_POLL_MS = 1500;

export function publicationInProgress(publication: Pick<PublicationRead, "status"> | undefined): boolean {
  return publication?.status === "queued" || publication?.status === "running";
}

/** Never goes back from a finished state to a running one (a history read older than the poll). */
function mergePublication(current: PublicationRead | undefined, incoming: PublicationRead): PublicationRead {
  if (current && !publicationInProgress(current) && publicationInProgress(incoming)) return current;
  return incoming;
}

function storePublications(queryClient: QueryClient, publications: PublicationRead[]) {
  for (const publication of publications) {
    queryClient.setQueryData<PublicationRead>(publicationKey(publication.id), (current) => mergePublication(current, publication));
  }
}

/** What the publish dialog offers: Ollama servers, GGUF types, the Hub token, and why no worker can publish. */
export function getPublishingOptions(teamId?: string): Promise<PublishingOptions> {
  // With the team, its Hub token counts when the user has none, and its Ollama server comes first.
  return unwrap(api.GET("/api/publishing/options", { params: { query: teamId ? { team_id: teamId } : {} } }));
}

export function usePublishingOptions(enabled = true, teamId?: string) {
  return useQuery({ queryKey: [...publishingOptionsKey, teamId ?? null], queryFn: () => getPublishingOptions(teamId), enabled });
}

export function listPublications(versionId: string): Promise<PublicationRead[]> {
  return unwrap(api.GET("/api/model-versions/{version_id}/publications", { params: { path: { version_id: versionId } } }));
}

/** The version's publications, newest first; each one also lands in its own entry (see usePublication). */
export function usePublications(versionId: string) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: publicationsKey(versionId),
    queryFn: async () => {
      const publications = await listPublications(versionId);
      storePublications(queryClient, publications);
      return publications;
    },
  });
}

export function getPublication(publicationId: string): Promise<PublicationRead> {
  return unwrap(api.GET("/api/publications/{publication_id}", { params: { path: { publication_id: publicationId } } }));
}

/**
 * One publication as the history row shows it: the history's copy, read again every 1.5 s while it is
 * queued or running. When it has finished, the history is read again (what the page offers depends on it).
 */
export function publicationQueryOptions(publication: PublicationRead, queryClient: QueryClient) {
  return queryOptions({
    queryKey: publicationKey(publication.id),
    queryFn: async () => {
      const fresh = await getPublication(publication.id);
      if (!publicationInProgress(fresh)) void queryClient.invalidateQueries({ queryKey: publicationsKey(fresh.version_id) });
      return fresh;
    },
    initialData: publication,
    // The history keeps it fresh; only the poll below reads it on its own.
    staleTime: Infinity,
    refetchInterval: (query) => (publicationInProgress(query.state.data) ? PUBLICATION_POLL_MS : false),
  });
}

export function usePublication(publication: PublicationRead) {
  const queryClient = useQueryClient();
  return useQuery(publicationQueryOptions(publication, queryClient));
}

export function useCreatePublication(versionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: PublicationCreate) =>
      unwrap(api.POST("/api/model-versions/{version_id}/publications", { params: { path: { version_id: versionId } }, body })),
    onSuccess: (publication) => {
      queryClient.setQueryData(publicationKey(publication.id), publication);
      queryClient.setQueryData<PublicationRead[]>(publicationsKey(versionId), (list) => [
        publication,
        ...(list ?? []).filter((p) => p.id !== publication.id),
      ]);
      void queryClient.invalidateQueries({ queryKey: publicationsKey(versionId) });
    },
  });
}

export function useCancelPublication(versionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (publicationId: string) =>
      unwrap(api.POST("/api/publications/{publication_id}/cancel", { params: { path: { publication_id: publicationId } } })),
    onSuccess: (publication) => {
      queryClient.setQueryData(publicationKey(publication.id), publication);
      void queryClient.invalidateQueries({ queryKey: publicationsKey(versionId) });
    },
  });
}

/** Removes the record and its GGUF files; a model published to the Hub or to Ollama stays there. */
export function useDeletePublication(versionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (publicationId: string) =>
      unwrap(api.DELETE("/api/publications/{publication_id}", { params: { path: { publication_id: publicationId } } })) as Promise<void>,
    onSuccess: (_, publicationId) => {
      queryClient.setQueryData<PublicationRead[]>(publicationsKey(versionId), (list) => list?.filter((p) => p.id !== publicationId));
      queryClient.removeQueries({ queryKey: publicationKey(publicationId), exact: true });
      void queryClient.invalidateQueries({ queryKey: publicationsKey(versionId) });
    },
  });
}

/** Fetches a published file with the bearer token (a plain link would carry none) and hands it to the browser. */
export async function downloadPublicationFile(publicationId: string, file: Pick<PublishedFile, "name">): Promise<void> {
  const { data, error, response } = await api.GET("/api/publications/{publication_id}/files/{name}", {
    params: { path: { publication_id: publicationId, name: file.name } },
    parseAs: "blob",
  });
  if (!response.ok) throw ApiError.fromResponse(response, error);
  const url = URL.createObjectURL((data as Blob | undefined) ?? new Blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = file.name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
