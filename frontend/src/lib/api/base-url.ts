// Absolute origin: the API is served from the same origin as the SPA (API server, nginx or vite proxy).
export function apiBaseUrl(): string {
  return typeof window === "undefined" ? "" : window.location.origin;
}
