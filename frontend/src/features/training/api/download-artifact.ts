import { api } from "@/lib/api/client";
import { ApiError } from "@/lib/api/errors";

/** Fetches a file with the bearer token (a plain link would carry none) and hands it to the browser. */
export async function downloadJobFile(
  jobId: string,
  path: string,
  filename = path.split("/").pop() ?? path,
): Promise<void> {
  const { response } =
    path === "spec.yaml"
      ? await api.GET("/api/jobs/{job_id}/spec.yaml", { params: { path: { job_id: jobId } }, parseAs: "blob" })
      : await api.GET("/api/jobs/{job_id}/artifacts/{path}", {
          params: { path: { job_id: jobId, path } },
          parseAs: "blob",
        });
  if (!response.ok) throw ApiError.fromResponse(response, await response.clone().json().catch(() => null));
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
