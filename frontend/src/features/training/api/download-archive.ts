import { api } from "@/lib/api/client";
import { ApiError } from "@/lib/api/errors";

/**
 * The job's result (adapter or model, tokenizer, card, metrics; no checkpoints) as one zip, which
 * the server streams from storage as it builds it; fetched with the bearer token like every file.
 */
export async function downloadResultArchive(jobId: string): Promise<void> {
  // openapi-fetch has read the body already: the blob is `data`, a failure's JSON is `error`.
  const { data, error, response } = await api.GET("/api/jobs/{job_id}/artifacts.zip", {
    params: { path: { job_id: jobId } },
    parseAs: "blob",
  });
  if (!response.ok) throw ApiError.fromResponse(response, error);
  const disposition = response.headers.get("content-disposition") ?? "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${jobId}.zip`;
  const url = URL.createObjectURL((data as Blob | undefined) ?? new Blob()) // an empty file has no body;
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
