import { accessTokenIsFresh, getAccessToken, getRefreshToken, getSessionStatus } from "@/lib/auth/session";
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

// Renew a token this close to its end before sending, rather than sending it to be refused.
const RENEW_BEFORE_MS = 15_000;

/**
 * fetch with the stored access token. A token about to expire is renewed first; on a 401 it
 * refreshes the session once (single-flight, shared by parallel requests and tabs) and retries
 * the request once.
 */
export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const exempt = NO_RETRY_PATHS.has(new URL(request.url).pathname);
  if (!exempt && getSessionStatus() === "signedIn" && getRefreshToken() && !accessTokenIsFresh(undefined, RENEW_BEFORE_MS)) {
    await refreshSession();
  }
  const tokenUsed = getAccessToken();
  const response = await globalThis.fetch(withBearer(request, tokenUsed));
  if (response.status !== 401 || exempt) {
    return response;
  }
  const current = getAccessToken();
  // Another request may already have refreshed while this one was in flight.
  const refreshed = current !== null && current !== tokenUsed ? true : await refreshSession();
  if (!refreshed) return response;
  return globalThis.fetch(withBearer(retry, getAccessToken()));
}
