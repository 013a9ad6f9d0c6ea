import { mutationOptions, useMutation } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import { unwrap } from "@/lib/api/errors";

export type DownloadInput = { teamId: string; datasetId: string; versionId: string; split?: string; filename: string };

/** Fetches the canonical JSONL with the bearer token (a plain link could not send it) and saves it. */
export async function downloadVersion(input: DownloadInput): Promise<void> {
  const blob = (await unwrap(
    api.GET("/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/download", {
      params: {
        path: { team_id: input.teamId, dataset_id: input.datasetId, version_id: input.versionId },
        query: { split: input.split },
      },
      parseAs: "blob",
    }),
  )) as Blob;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = input.filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadVersionMutationOptions() {
  return mutationOptions({ mutationKey: ["datasets", "download"], mutationFn: downloadVersion });
}

export function useDownloadVersion() {
  return useMutation(downloadVersionMutationOptions());
}
