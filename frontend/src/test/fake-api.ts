import { vi } from "vitest";
import type { CredentialRead, TokenPair, UserRead } from "@/lib/api/types";

/** A request as the fake server saw it. */
export type Call = { method: string; path: string; body: unknown; authorization: string | null };
type Handler = (call: Call) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", "X-Request-ID": "test-request-id" },
  });
}

export function apiError(status: number, error: string, detail: string): Response {
  return json({ error, detail }, status);
}

export function noContent(): Response {
  return new Response(null, { status: 204, headers: { "X-Request-ID": "test-request-id" } });
}

export const alice: UserRead = {
  id: "6f1b8f5e-1c2d-4e3f-9a0b-123456789abc",
  email: "alice@example.com",
  display_name: "Alice Martin",
  created_at: "2026-11-21T10:00:00Z",
  teams: [{ id: "7a2c9f6e-2d3e-4f40-8b1c-23456789abcd", name: "Alice Martin", slug: "alice", role: "owner", personal: true }],
};

export function tokenPair(n: number, user: UserRead = alice): TokenPair {
  return {
    access_token: `access-${n}`,
    refresh_token: `refresh-${n}`,
    token_type: "bearer",
    expires_in: 900,
    user,
  };
}

export function credential(overrides: Partial<CredentialRead> & Pick<CredentialRead, "provider">): CredentialRead {
  return {
    configured: true,
    last4: "1234",
    saved_at: "2026-11-21T10:00:00Z",
    verified_at: null,
    username: null,
    status: "unverified",
    message: null,
    ...overrides,
  };
}

/**
 * An in-memory stand-in for the TuneForge API behind `fetch`. Routes are "METHOD /path";
 * unknown routes answer 404 in the API's error shape. Every call is recorded.
 */
export function installFakeApi(routes: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const text = await request.text();
    const call: Call = {
      method: request.method,
      path: url.pathname,
      body: text ? JSON.parse(text) : undefined,
      authorization: request.headers.get("Authorization"),
    };
    calls.push(call);
    const handler = routes[`${call.method} ${call.path}`];
    return handler ? handler(call) : apiError(404, "NotFound", `No fake route for ${call.method} ${call.path}.`);
  });
  vi.stubGlobal("fetch", fetchMock);
  return {
    calls,
    callsTo: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path),
  };
}
