import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";
import type { FormatRead } from "@/lib/api/types";

export const formatsKey = ["dataset-formats"] as const;

/** The column-based formats a mapping can name, with the columns ("slots") each reads. */
export function listFormats(): Promise<FormatRead[]> {
  return unwrap(api.GET("/api/dataset-formats"));
}

export function useFormats(enabled = true) {
  return useQuery({ queryKey: formatsKey, queryFn: listFormats, staleTime: Infinity, enabled });
}
