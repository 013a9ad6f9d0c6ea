import { publicApi } from "@/lib/api/public-client";
import type { TokenPair } from "@/lib/api/types";
import {
  endSession,
  getRefreshToken,
  getSessionStatus,
  markRestoring,
  REFRESH_TOKEN_KEY,
  startSession,
  suspendSession,
} from "./session";

let inFlight: Promise<boolean> | null = null;

/**
 * Exchanges the stored refresh token for a new pair. Parallel callers share one request:
 * refresh tokens rotate, and sending the same one twice would look like token theft to
 * the server and revoke the whole session family.
 */
export function refreshSession(): Promise<boolean> {
  inFlight ??= withCrossTabLock(doRefresh).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

async function doRefresh(): Promise<boolean> {
  // Read inside the lock: another tab may have rotated the token while we waited.
  const refreshToken = getRefreshToken();
  if (!refreshToken) {
    endSession();
    return false;
  }
  let result: { data?: TokenPair; response: Response };
  try {
    result = await publicApi.POST("/api/auth/refresh", { body: { refresh_token: refreshToken } });
  } catch {
    suspendSession();
    return false;
  }
  if (result.response.ok && result.data) {
    startSession(result.data);
    return true;
  }
  // 5xx and 429 say nothing about the token: keep it for the next page load.
  if (result.response.status >= 500 || result.response.status === 429) suspendSession();
  else endSession();
  return false;
}

async function withCrossTabLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks?.request) return work();
  return locks.request("tuneforge-refresh", work) as Promise<T>;
}

let initialised = false;

/** Called once at start-up: resumes a stored session before protected routes render. */
export function initSession(): Promise<boolean> {
  if (!initialised) {
    initialised = true;
    // Logging out in another tab signs this one out too.
    window.addEventListener("storage", (event) => {
      if (event.key === REFRESH_TOKEN_KEY && event.newValue === null && getSessionStatus() === "signedIn") {
        suspendSession();
      }
    });
  }
  if (!getRefreshToken()) return Promise.resolve(false);
  markRestoring();
  return refreshSession();
}

export function resetRefreshForTests() {
  inFlight = null;
}
