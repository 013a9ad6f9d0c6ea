import { publicApi } from "@/lib/api/public-client";
import type { TokenPair } from "@/lib/api/types";
import {
  accessTokenIsFresh,
  adoptStoredAccess,
  endSession,
  getAccessToken,
  getRefreshToken,
  getSessionStatus,
  getStoredAccess,
  markRestoring,
  REFRESH_TOKEN_KEY,
  resumeSession,
  startSession,
  suspendSession,
} from "./session";

let inFlight: Promise<boolean> | null = null;

/**
 * Gets a usable access token, refreshing the session only when needed. One refresh is shared by
 * every caller in this tab (single flight) and by every tab (a cross-tab lock, inside which a tab
 * first looks whether another one has just refreshed): refresh tokens rotate, and sending the same
 * one twice would look like token theft to the server and revoke the whole session.
 */
export function refreshSession(): Promise<boolean> {
  if (!inFlight) {
    const stale = getAccessToken();
    inFlight = withCrossTabLock(() => doRefresh(stale)).finally(() => {
      inFlight = null;
    });
  }
  return inFlight;
}

async function doRefresh(staleToken: string | null): Promise<boolean> {
  // Read inside the lock: another tab may have refreshed while we waited; then use its tokens.
  const stored = getStoredAccess();
  if (stored && stored.token !== staleToken && accessTokenIsFresh(stored)) {
    adoptStoredAccess();
    return true;
  }
  const refreshToken = getRefreshToken();
  if (!refreshToken) {
    // Already signed out: keep the reason given then. Otherwise another tab ended the session.
    if (getSessionStatus() !== "signedOut") endSession({ reason: "the session ended in another tab." });
    return false;
  }
  let result: { data?: TokenPair; error?: unknown; response: Response };
  try {
    result = await publicApi.POST("/api/auth/refresh", { body: { refresh_token: refreshToken } });
  } catch {
    suspendSession("the server could not be reached to renew your session. Sign in, or reload the page once it is back.");
    return false;
  }
  if (result.response.ok && result.data) {
    startSession(result.data);
    return true;
  }
  const detail = errorDetail(result.error);
  // 5xx and 429 say nothing about the token: keep it for the next page load.
  if (result.response.status === 429) {
    suspendSession(
      `the server refused to renew your session for now: ${detail ?? "too many requests."} Your session is kept; reload the page in a minute.`,
    );
  } else if (result.response.status >= 500) {
    suspendSession("the server could not renew your session (a server error). Reload the page in a moment.");
  } else {
    endSession({ reason: `the server refused to renew your session: ${detail ?? "it is no longer valid."}` });
  }
  return false;
}

function errorDetail(error: unknown): string | null {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  if (typeof detail !== "string" || !detail) return null;
  // "… Sign in again." is what the login page is for; the reason reads better without it.
  const trimmed = detail.replace(/\s*Sign in again\.?$/, "").trim();
  return trimmed ? trimmed.charAt(0).toLowerCase() + trimmed.slice(1) : null;
}

// --- The cross-tab lock -------------------------------------------------------------------------

const LOCK_NAME = "tuneforge-refresh";
export const STORAGE_LOCK_KEY = "tuneforge.refresh_lock";
const LEASE_MS = 15_000; // longer than a refresh takes; a tab closed mid-refresh frees it after this
const SETTLE_MS = 40; // lets a racing tab's write land before checking who won
const POLL_MS = 100;

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The Web Locks API where the browser offers it (secure contexts only: https or localhost), else a
 * lease in localStorage, which a self-hosted server reached over plain http needs.
 */
async function withCrossTabLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" && window.isSecureContext !== false ? navigator.locks : undefined;
  if (locks?.request) return locks.request(LOCK_NAME, work) as Promise<T>;
  return withStorageLock(work);
}

type Lease = { owner: string; until: number };

function readLease(): Lease | null {
  try {
    const raw = window.localStorage.getItem(STORAGE_LOCK_KEY);
    return raw ? (JSON.parse(raw) as Lease) : null;
  } catch {
    return null;
  }
}

async function withStorageLock<T>(work: () => Promise<T>): Promise<T> {
  const owner = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const giveUpAt = Date.now() + LEASE_MS;
  let held = false;
  try {
    while (!held && Date.now() < giveUpAt) {
      const lease = readLease();
      if (!lease || lease.until < Date.now()) {
        window.localStorage.setItem(STORAGE_LOCK_KEY, JSON.stringify({ owner, until: Date.now() + LEASE_MS }));
        await sleep(SETTLE_MS);
        held = readLease()?.owner === owner;
      } else {
        await sleep(POLL_MS);
      }
    }
  } catch {
    // No storage at all: there is no other tab to share it with.
  }
  try {
    // Past giveUpAt without the lease, the holder has stalled: go ahead (doRefresh re-reads the tokens).
    return await work();
  } finally {
    try {
      if (readLease()?.owner === owner) window.localStorage.removeItem(STORAGE_LOCK_KEY);
    } catch {
      // Nothing to release.
    }
  }
}

// --- Start-up -----------------------------------------------------------------------------------

let initialised = false;

/**
 * Called once at start-up, before protected routes render. A fresh stored access token (from this
 * tab's last load or another tab) is used as it is; only a missing or nearly expired one is refreshed.
 */
export function initSession(): Promise<boolean> {
  if (!initialised) {
    initialised = true;
    // Logging out in another tab signs this one out too.
    window.addEventListener("storage", (event) => {
      if (event.key === REFRESH_TOKEN_KEY && event.newValue === null && getSessionStatus() === "signedIn") {
        suspendSession("you logged out, or the session ended, in another tab.");
      }
    });
  }
  if (!getRefreshToken()) return Promise.resolve(false);
  if (accessTokenIsFresh()) {
    resumeSession();
    return Promise.resolve(true);
  }
  markRestoring();
  return refreshSession();
}

export function resetRefreshForTests() {
  inFlight = null;
}
