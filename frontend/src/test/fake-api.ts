import { vi } from "vitest";
import type { CredentialRead, TokenPair, UserRead } from "@/lib/api/types";

/** A request as the fake server saw it. */
export type Call = {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | null;
};
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
    const call: Call = {
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: await readBody(request),
      authorization: request.headers.get("Authorization"),
    };
    calls.push(call);
    const handler = routes[`${call.method} ${call.path}`];
    return handler ? handler(call) : apiError(404, "NotFound", `No fake route for ${call.method} ${call.path}.`);
  });
  vi.stubGlobal("fetch", fetchMock);
  vi.stubGlobal("XMLHttpRequest", fakeXhrClass(fetchMock));
  return {
    calls,
    callsTo: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path),
  };
}

/** JSON bodies as objects; uploads (see the fake XHR) as {field: [value]}, files as {name, size}. */
async function readBody(request: Request): Promise<unknown> {
  const text = await request.text();
  return text ? JSON.parse(text) : undefined;
}

// jsdom's FormData cannot travel in Node's Request, so the fake XHR hands the server a JSON summary of it.
function summariseForm(form: FormData): Record<string, unknown[]> {
  const body: Record<string, unknown[]> = {};
  form.forEach((value, key) => {
    const entry = typeof value === "string" ? value : { name: value.name, size: value.size };
    (body[key] ??= []).push(entry);
  });
  return body;
}

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Just enough XMLHttpRequest for uploads: answers through the fake fetch, reporting progress in two steps. */
function fakeXhrClass(fetchMock: Fetch) {
  return class FakeXMLHttpRequest {
    upload: { onprogress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
      onprogress: null,
    };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    onabort: (() => void) | null = null;
    status = 0;
    statusText = "";
    responseText = "";
    private method = "GET";
    private url = "";
    private headers = new Headers();
    private responseHeaders = new Headers();

    open(method: string, url: string) {
      this.method = method;
      this.url = url;
    }
    setRequestHeader(name: string, value: string) {
      this.headers.set(name, value);
    }
    getResponseHeader(name: string) {
      return this.responseHeaders.get(name);
    }
    send(body: FormData) {
      const total = [...body.values()].reduce((sum, v) => sum + (typeof v === "string" ? v.length : v.size), 0);
      void (async () => {
        this.upload.onprogress?.({ lengthComputable: true, loaded: Math.floor(total / 2), total });
        await new Promise((resolve) => setTimeout(resolve, 0));
        this.upload.onprogress?.({ lengthComputable: true, loaded: total, total });
        const response = await fetchMock(
          new Request(this.url, { method: this.method, headers: this.headers, body: JSON.stringify(summariseForm(body)) }),
        );
        this.status = response.status;
        this.statusText = response.statusText;
        this.responseText = await response.text();
        this.responseHeaders = response.headers;
        this.onload?.();
      })();
    }
  };
}
