import { getAccessToken } from "@/lib/auth/session";
import { refreshSession } from "@/lib/auth/refresh";

// A 401 from these means wrong credentials or a dead refresh token, not an expired access token.
const NO_RETRY_PATHS = new Set([
  "/api/auth/login",
  "/api/auth/register",
  "/api/auth/refresh",
  "/api/auth/logout",
]);

function withBearer(request: Request, token: string | null): Request {
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  return request;
}

/**
 * fetch with the in-memory access token. On a 401 it refreshes the session once
 * (single-flight, shared by parallel requests) and retries the request once.
 */
export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const tokenUsed = getAccessToken();
  const response = await globalThis.fetch(withBearer(request, tokenUsed));
  if (response.status !== 401 || NO_RETRY_PATHS.has(new URL(request.url).pathname)) {
    return response;
  }
  const current = getAccessToken();
  // Another request may already have refreshed while this one was in flight.
  const refreshed = current !== null && current !== tokenUsed ? true : await refreshSession();
  if (!refreshed) return response;
  return globalThis.fetch(withBearer(retry, getAccessToken()));
}
