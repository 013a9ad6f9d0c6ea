import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { CompareRead, ModelRead, ModelVersionPage, ModelVersionRead, VersionUpdate } from "@/lib/api/types";

// Query keys of the models feature. Version edits invalidate the version and the team's lists.
export const modelsKey = (teamId: string) => ["teams", teamId, "models"] as const;
export const versionsKey = (teamId: string) => ["teams", teamId, "model-versions"] as const;
export const versionKey = (versionId: string) => ["model-versions", versionId] as const;

export function listModels(teamId: string): Promise<ModelRead[]> {
  return unwrap(api.GET("/api/teams/{team_id}/models", { params: { path: { team_id: teamId } } }));
}

export function useModels(teamId: string | undefined) {
  return useQuery({ queryKey: modelsKey(teamId ?? ""), queryFn: () => listModels(teamId!), enabled: !!teamId });
}

/** The Models page's list grows by this many versions at a time ("Show more"). */
export const VERSIONS_PAGE = 50;

export function listVersions(teamId: string, includeArchived = false, limit = VERSIONS_PAGE): Promise<ModelVersionPage> {
  return unwrap(
    api.GET("/api/teams/{team_id}/model-versions", {
      params: { path: { team_id: teamId }, query: { include_archived: includeArchived, limit } },
    }),
  );
}

/** The team's newest `limit` versions and their total (the Models page; pickers use lib/api/list-model-versions). */
export function useModelVersions(teamId: string | undefined, includeArchived = false, limit = VERSIONS_PAGE) {
  return useQuery({
    queryKey: [...versionsKey(teamId ?? ""), { includeArchived, limit }],
    queryFn: () => listVersions(teamId!, includeArchived, limit),
    enabled: !!teamId,
    placeholderData: keepPreviousData,
  });
}

export function getVersion(versionId: string): Promise<ModelVersionRead> {
  return unwrap(api.GET("/api/model-versions/{version_id}", { params: { path: { version_id: versionId } } }));
}

export function useModelVersion(versionId: string | undefined) {
  return useQuery({ queryKey: versionKey(versionId ?? ""), queryFn: () => getVersion(versionId!), enabled: !!versionId });
}

export function compareVersions(teamId: string, ids: string[]): Promise<CompareRead> {
  return unwrap(
    api.GET("/api/teams/{team_id}/model-versions/compare", {
      params: { path: { team_id: teamId }, query: { ids: ids.join(",") } },
    }),
  );
}

export function useCompare(teamId: string | undefined, ids: string[]) {
  return useQuery({
    queryKey: [...versionsKey(teamId ?? ""), "compare", ids],
    queryFn: () => compareVersions(teamId!, ids),
    enabled: !!teamId && ids.length >= 2,
    placeholderData: keepPreviousData,
  });
}

function useInvalidate() {
  const queryClient = useQueryClient();
  return (version: Pick<ModelVersionRead, "id" | "model_id">, teamId: string | undefined) => {
    void queryClient.invalidateQueries({ queryKey: versionKey(version.id) });
    if (teamId) {
      void queryClient.invalidateQueries({ queryKey: modelsKey(teamId) });
      void queryClient.invalidateQueries({ queryKey: versionsKey(teamId) });
    }
  };
}

export function useUpdateVersion(teamId: string | undefined) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, ...body }: VersionUpdate & { id: string }) =>
      unwrap(api.PATCH("/api/model-versions/{version_id}", { params: { path: { version_id: id } }, body })),
    onSuccess: (version) => invalidate(version, teamId),
  });
}

export function useSetTag(teamId: string | undefined) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, tag, remove }: { id: string; tag: string; remove?: boolean }) =>
      remove
        ? unwrap(api.DELETE("/api/model-versions/{version_id}/tags/{tag}", { params: { path: { version_id: id, tag } } }))
        : unwrap(api.PUT("/api/model-versions/{version_id}/tags/{tag}", { params: { path: { version_id: id, tag } } })),
    // A tag moved here left another version of the model: refresh them all.
    onSuccess: (version) => invalidate(version, teamId),
  });
}

export function useDeleteVersion(teamId: string | undefined) {
  const queryClient = useQueryClient();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (version: Pick<ModelVersionRead, "id" | "model_id">) =>
      unwrap(api.DELETE("/api/model-versions/{version_id}", { params: { path: { version_id: version.id } } })) as Promise<void>,
    onSuccess: (_, version) => {
      queryClient.removeQueries({ queryKey: versionKey(version.id) });
      invalidate(version, teamId);
    },
  });
}
