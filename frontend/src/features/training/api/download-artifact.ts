import { api } from "@/lib/api/client";
import { ApiError } from "@/lib/api/errors";

/** Fetches a file with the bearer token (a plain link would carry none) and hands it to the browser. */
export async function downloadJobFile(
  jobId: string,
  path: string,
  filename = path.split("/").pop() ?? path,
): Promise<void> {
  // openapi-fetch has read the body already: the blob is `data`, a failure's JSON is `error`.
  const { data, error, response } =
    path === "spec.yaml"
      ? await api.GET("/api/jobs/{job_id}/spec.yaml", { params: { path: { job_id: jobId } }, parseAs: "blob" })
      : await api.GET("/api/jobs/{job_id}/artifacts/{path}", {
          params: { path: { job_id: jobId, path } },
          parseAs: "blob",
        });
  if (!response.ok) throw ApiError.fromResponse(response, error);
  const url = URL.createObjectURL((data as Blob | undefined) ?? new Blob()) // an empty file has no body;
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
