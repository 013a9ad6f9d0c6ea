import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import { modelFoldersKey } from "./keys";
import type { ModelFolder } from "@/lib/api/types";

/** Model folders the administrator registered on the server (TUNEFORGE_MODEL_DIRS). */
export function listModelFolders(): Promise<ModelFolder[]> {
  return unwrap(api.GET("/api/model-folders"));
}

export function useModelFolders() {
  return useQuery({ queryKey: modelFoldersKey, queryFn: listModelFolders, staleTime: 60_000 });
}
