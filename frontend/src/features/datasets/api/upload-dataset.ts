import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { UploadResult } from "@/lib/api/types";
import { postWithProgress, type UploadProgress } from "@/lib/api/upload";
import { datasetsKey } from "./keys";

export type UploadInput = {
  teamId: string;
  /** Set to add a version to an existing dataset; omit to create a dataset. */
  datasetId?: string;
  files: File[];
  name?: string;
  notes?: string;
  /** Whose tokenizer counts tokens (stats, length histogram), and the length over which rows are flagged. */
  tokenizer?: string;
  maxLength?: number;
};

export function uploadDataset(input: UploadInput, onProgress: (progress: UploadProgress) => void): Promise<UploadResult> {
  const body = new FormData();
  for (const file of input.files) body.append("files", file, file.name);
  if (!input.datasetId && input.name?.trim()) body.append("name", input.name.trim());
  if (input.notes?.trim()) body.append("notes", input.notes.trim());
  if (input.tokenizer || input.maxLength) {
    body.append("options", JSON.stringify({ base_model: input.tokenizer, max_length: input.maxLength }));
  }
  const base = `/api/teams/${encodeURIComponent(input.teamId)}/datasets`;
  const path = input.datasetId ? `${base}/${encodeURIComponent(input.datasetId)}/versions` : base;
  return postWithProgress<UploadResult>(path, body, onProgress);
}

/** Upload mutation plus its byte progress; `progress` is null before the first byte and after settling. */
export function useUploadDataset() {
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const mutation = useMutation({
    mutationKey: ["datasets", "upload"],
    mutationFn: (input: UploadInput) => {
      setProgress({ loaded: 0, total: input.files.reduce((sum, file) => sum + file.size, 0) });
      return uploadDataset(input, setProgress);
    },
    onSettled: (_data, _error, input) => {
      setProgress(null);
      return queryClient.invalidateQueries({ queryKey: datasetsKey(input.teamId) });
    },
  });
  return { ...mutation, progress };
}
