import { useSyncExternalStore } from "react";
import type { TokenPair, UserRead } from "@/lib/api/types";

/**
 * The signed-in session. The access token lives only in memory (never in storage an
 * injected script could read later); the refresh token is kept in localStorage so a
 * reload can resume the session with one silent refresh.
 */
export const REFRESH_TOKEN_KEY = "tuneforge.refresh_token";

export type SessionStatus = "restoring" | "signedIn" | "signedOut";
export type SessionEvent = { type: "started"; user: UserRead } | { type: "ended" };

let accessToken: string | null = null;
let loggedOutByUser = false;
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

export function getAccessToken(): string | null {
  return accessToken;
}

export function getRefreshToken(): string | null {
  try {
    return window.localStorage.getItem(REFRESH_TOKEN_KEY);
  } catch {
    return null;
  }
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
  accessToken = pair.access_token;
  loggedOutByUser = false;
  window.localStorage.setItem(REFRESH_TOKEN_KEY, pair.refresh_token);
  setStatus("signedIn");
  emit({ type: "started", user: pair.user });
}

/** Forgets both tokens. `byUser`: the user pressed "Log out" (rather than the session expiring). */
export function endSession({ byUser = false }: { byUser?: boolean } = {}) {
  accessToken = null;
  loggedOutByUser = byUser;
  window.localStorage.removeItem(REFRESH_TOKEN_KEY);
  setStatus("signedOut");
  emit({ type: "ended" });
}

/** Signed out for now, but keeps the refresh token (the server was unreachable, not refusing). */
export function suspendSession() {
  accessToken = null;
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
  accessToken = null;
  loggedOutByUser = false;
  status = "signedOut";
  statusListeners.clear();
  eventListeners.clear();
}
