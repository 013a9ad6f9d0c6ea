import { getAccessToken } from "@/lib/auth/session";
import { refreshSession } from "@/lib/auth/refresh";
import { apiBaseUrl } from "./base-url";
import { ApiError } from "./errors";

export type UploadProgress = { loaded: number; total: number };

/**
 * POSTs a multipart body with upload progress (fetch cannot report it), with the same
 * bearer token and single silent refresh on 401 as the typed client.
 */
export async function postWithProgress<T>(
  path: string,
  body: FormData,
  onProgress: (progress: UploadProgress) => void,
): Promise<T> {
  const first = await send(path, body, onProgress);
  if (first.status === 401 && (await refreshSession())) {
    return parse<T>(await send(path, body, onProgress));
  }
  return parse<T>(first);
}

type RawResponse = { status: number; statusText: string; text: string; requestId: string | null };

function send(path: string, body: FormData, onProgress: (progress: UploadProgress) => void): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", apiBaseUrl() + path);
    const token = getAccessToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress({ loaded: event.loaded, total: event.total });
    };
    xhr.onload = () =>
      resolve({
        status: xhr.status,
        statusText: xhr.statusText,
        text: xhr.responseText,
        requestId: xhr.getResponseHeader("X-Request-ID"),
      });
    xhr.onerror = () => reject(ApiError.network());
    xhr.onabort = () => reject(new ApiError({ status: 0, error: "Aborted", detail: "The upload was cancelled." }));
    xhr.send(body);
  });
}

function parse<T>(raw: RawResponse): T {
  let data: unknown = null;
  try {
    data = raw.text ? JSON.parse(raw.text) : null;
  } catch {
    data = null;
  }
  if (raw.status >= 200 && raw.status < 300) return data as T;
  const headers = new Headers(raw.requestId ? { "X-Request-ID": raw.requestId } : {});
  throw ApiError.fromResponse(new Response(null, { status: raw.status, statusText: raw.statusText, headers }), data);
}
