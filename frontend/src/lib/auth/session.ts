import { useSyncExternalStore } from "react";
import type { TokenPair, UserRead } from "@/lib/api/types";

/**
 * The signed-in session. Both tokens are kept in localStorage, shared by every tab:
 * - the refresh token, so a reload resumes the session;
 * - the access token with its expiry (this browser's clock at receipt + expires_in), so a reload or
 *   a new tab reuses it instead of refreshing: refreshes are rate-limited per session and rotate
 *   the refresh token, so one is made only when the access token is near its end (see refresh.ts).
 * An injected script that can read one can read the other; the short-lived access token adds nothing.
 */
export const REFRESH_TOKEN_KEY = "tuneforge.refresh_token";
export const ACCESS_TOKEN_KEY = "tuneforge.access_token";
/** An access token with less than this left is renewed before use. */
export const ACCESS_TOKEN_MARGIN_MS = 60_000;

export type SessionStatus = "restoring" | "signedIn" | "signedOut";
export type SessionEvent = { type: "started"; user: UserRead } | { type: "ended" };
export type StoredAccess = { token: string; expiresAt: number };

// Used only when the browser refuses storage (some private modes): the session then lasts one page.
let memoryAccess: StoredAccess | null = null;
let loggedOutByUser = false;
let signedOutReason: string | null = null;
let status: SessionStatus = "signedOut";
const statusListeners = new Set<() => void>();
const eventListeners = new Set<(event: SessionEvent) => void>();

function setStatus(next: SessionStatus) {
  if (status === next) return;
  status = next;
  statusListeners.forEach((listener) => listener());
}

function emit(event: SessionEvent) {
  eventListeners.forEach((listener) => listener(event));
}

/** The stored access token and its expiry (epoch ms), whatever tab stored it; null if none. */
export function getStoredAccess(): StoredAccess | null {
  try {
    const raw = window.localStorage.getItem(ACCESS_TOKEN_KEY);
    if (raw === null) return memoryAccess;
    const parsed = JSON.parse(raw) as Partial<StoredAccess>;
    return typeof parsed.token === "string" && typeof parsed.expiresAt === "number"
      ? { token: parsed.token, expiresAt: parsed.expiresAt }
      : null;
  } catch {
    return memoryAccess;
  }
}

function storeAccess(access: StoredAccess | null) {
  memoryAccess = access;
  try {
    if (access) window.localStorage.setItem(ACCESS_TOKEN_KEY, JSON.stringify(access));
    else window.localStorage.removeItem(ACCESS_TOKEN_KEY);
  } catch {
    // Storage refused: memoryAccess serves this page.
  }
}

/** True when the stored access token has at least `marginMs` left. */
export function accessTokenIsFresh(access: StoredAccess | null = getStoredAccess(), marginMs = ACCESS_TOKEN_MARGIN_MS) {
  return access !== null && access.expiresAt - Date.now() > marginMs;
}

export function getAccessToken(): string | null {
  return getStoredAccess()?.token ?? null;
}

export function getRefreshToken(): string | null {
  try {
    return window.localStorage.getItem(REFRESH_TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Why the session ended without the user logging out (shown on the login page), or null. */
export function getSignedOutReason(): string | null {
  return signedOutReason;
}

/** After "Log out" there is no page to return to once signed in again. */
export function wasLoggedOutByUser(): boolean {
  return loggedOutByUser;
}

export function getSessionStatus(): SessionStatus {
  return status;
}

/** Stores a new token pair (login, register, refresh, password change). */
export function startSession(pair: TokenPair) {
  storeAccess({ token: pair.access_token, expiresAt: Date.now() + pair.expires_in * 1000 });
  loggedOutByUser = false;
  signedOutReason = null;
  window.localStorage.setItem(REFRESH_TOKEN_KEY, pair.refresh_token);
  setStatus("signedIn");
  emit({ type: "started", user: pair.user });
}

/** A page load that found a fresh access token (stored by this or another tab): signed in, no refresh. */
export function resumeSession() {
  loggedOutByUser = false;
  signedOutReason = null;
  setStatus("signedIn");
}

/** Another tab stored a fresh access token: use it (nothing to store). */
export function adoptStoredAccess() {
  if (status !== "signedIn") setStatus("signedIn");
}

/**
 * Forgets both tokens. `byUser`: the user pressed "Log out" (rather than the session expiring).
 * `reason` completes "You were signed out because …" on the login page.
 */
export function endSession({ byUser = false, reason = null }: { byUser?: boolean; reason?: string | null } = {}) {
  storeAccess(null);
  loggedOutByUser = byUser;
  signedOutReason = byUser ? null : reason;
  window.localStorage.removeItem(REFRESH_TOKEN_KEY);
  setStatus("signedOut");
  emit({ type: "ended" });
}

/** Signed out for now, but keeps the refresh token (the server was unreachable or busy, not refusing). */
export function suspendSession(reason: string | null = null) {
  storeAccess(null);
  signedOutReason = reason;
  setStatus("signedOut");
  emit({ type: "ended" });
}

export function markRestoring() {
  setStatus("restoring");
}

export function subscribeStatus(listener: () => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

export function onSessionEvent(listener: (event: SessionEvent) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

export function useSessionStatus(): SessionStatus {
  return useSyncExternalStore(subscribeStatus, getSessionStatus, getSessionStatus);
}

/** Test helper: forget everything without notifying anyone. */
export function resetSessionForTests() {
  memoryAccess = null;
  loggedOutByUser = false;
  signedOutReason = null;
  status = "signedOut";
  statusListeners.clear();
  eventListeners.clear();
}
