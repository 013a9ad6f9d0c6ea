import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { initSession } from "@/lib/auth/refresh";
import { ACCESS_TOKEN_KEY, REFRESH_TOKEN_KEY } from "@/lib/auth/session";
import { apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

type RefreshModule = typeof import("@/lib/auth/refresh");
type SessionModule = typeof import("@/lib/auth/session");

/** A fresh copy of the auth modules, sharing only localStorage and fetch: a page load, or another tab. */
async function loadPage(): Promise<RefreshModule & SessionModule> {
  vi.resetModules();
  const refresh = await import("@/lib/auth/refresh");
  const session = await import("@/lib/auth/session");
  return { ...refresh, ...session };
}

function storeTokens(access: string, expiresInMs: number, refresh = "refresh-1") {
  window.localStorage.setItem(REFRESH_TOKEN_KEY, refresh);
  window.localStorage.setItem(ACCESS_TOKEN_KEY, JSON.stringify({ token: access, expiresAt: Date.now() + expiresInMs }));
}

/** The server's rotation: each refresh token works once; a reused one is refused (and would end the session). */
function rotatingRefresh(delayMs = 30) {
  const used = new Set<string>();
  let issued = 1;
  return async (call: { body: unknown }) => {
    const token = (call.body as { refresh_token: string }).refresh_token;
    if (used.has(token)) return apiError(401, "Unauthorized", "This sign-in was already refreshed elsewhere.");
    used.add(token);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    issued += 1;
    return json(tokenPair(issued));
  };
}

describe("the access token across page loads", () => {
  it("is reused while fresh: ten reloads make no refresh", async () => {
    storeTokens("access-1", 10 * 60_000);
    const api = installFakeApi({ "POST /api/auth/refresh": rotatingRefresh() });

    for (let load = 0; load < 10; load += 1) {
      const page = await loadPage();
      await expect(page.initSession()).resolves.toBe(true);
      expect(page.getSessionStatus()).toBe("signedIn");
      expect(page.getAccessToken()).toBe("access-1");
    }
    expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(0);

    // Near its end, the next load refreshes once, and the load after reuses the new token.
    storeTokens("access-1", 30_000);
    await (await loadPage()).initSession();
    const after = await loadPage();
    await after.initSession();
    expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
    expect(after.getAccessToken()).toBe("access-2");
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-2");
  });

  it("signs the page in without a refresh and sends the stored token", async () => {
    storeTokens("access-1", 10 * 60_000);
    const api = installFakeApi({
      "POST /api/auth/refresh": rotatingRefresh(),
      "GET /api/auth/me": () => json(tokenPair(1).user),
      "GET /api/credentials": () => json([]),
    });
    void initSession();
    renderApp("/settings");

    expect(await screen.findByRole("heading", { name: "Settings" })).toBeInTheDocument();
    await waitFor(() => expect(api.callsTo("GET", "/api/credentials")).toHaveLength(1));
    expect(api.callsTo("GET", "/api/credentials")[0].authorization).toBe("Bearer access-1");
    expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(0);
  });
});

describe("one refresh shared by all tabs", () => {
  it("two tabs needing a new token at once make one refresh and both use its token", async () => {
    storeTokens("access-1", 5_000);
    const api = installFakeApi({ "POST /api/auth/refresh": rotatingRefresh(50) });
    const tabA = await loadPage();
    const tabB = await loadPage();

    const [a, b] = await Promise.all([tabA.refreshSession(), tabB.refreshSession()]);

    expect([a, b]).toEqual([true, true]);
    expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
    expect(tabA.getAccessToken()).toBe("access-2");
    expect(tabB.getAccessToken()).toBe("access-2");
    expect(tabB.getSessionStatus()).toBe("signedIn");
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-2");
  });

  it("a tab opened while another refreshes waits for it instead of reusing the old refresh token", async () => {
    storeTokens("access-1", 5_000);
    const api = installFakeApi({ "POST /api/auth/refresh": rotatingRefresh(80) });
    const tabA = await loadPage();
    const first = tabA.initSession();
    const tabB = await loadPage();
    const second = tabB.initSession();

    await expect(Promise.all([first, second])).resolves.toEqual([true, true]);
    expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
    expect(tabB.getAccessToken()).toBe("access-2");
  });
});

describe("a refused refresh", () => {
  it("says why on the login page; a rate limit keeps the session for later", async () => {
    storeTokens("access-1", 0);
    installFakeApi({
      "POST /api/auth/refresh": () =>
        apiError(429, "TooManyRequests", "This session refreshed its sign-in too often in the last minute."),
    });
    void initSession();
    renderApp("/dashboard");

    expect(await screen.findByRole("heading", { name: "Sign in to TuneForge" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent(
      /^You were signed out because the server refused to renew your session for now: this session refreshed its sign-in too often/,
    );
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-1");
  });
});
