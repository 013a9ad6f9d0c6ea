import { screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { REFRESH_TOKEN_KEY } from "@/lib/auth/session";
import { apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const info = { version: "0.1.0", methods: [], adapters: [], providers: [], executors: [], workers: [] };

afterEach(() => window.history.replaceState(null, "", "/"));

describe("single sign-on on the login page", () => {
  it("offers 'Sign in with <provider>' as a link to the API's start, keeping where the user was going", async () => {
    installFakeApi({ "GET /api/auth/sso": () => json({ enabled: true, label: "Acme ID" }) });
    renderApp("/login?next=%2Ftraining%2Fnew");

    const button = await screen.findByRole("link", { name: "Sign in with Acme ID" });
    const href = new URL(button.getAttribute("href")!);
    expect(href.pathname).toBe("/api/auth/sso/start");
    expect(href.searchParams.get("next")).toBe("/training/new");
  });

  it("shows no button when single sign-on is not set up", async () => {
    const api = installFakeApi({ "GET /api/auth/sso": () => json({ enabled: false, label: "Single sign-on" }) });
    renderApp("/login");
    await waitFor(() => expect(api.callsTo("GET", "/api/auth/sso")).toHaveLength(1));
    expect(screen.getByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /Sign in with/ })).toBeNull();
  });

  it("shows why a single sign-on failed, in the server's words", async () => {
    installFakeApi({ "GET /api/auth/sso": () => json({ enabled: true, label: "Acme ID" }) });
    const message = "Sign-in was cancelled or refused at Acme ID. Start again to sign in.";
    renderApp(`/login?${new URLSearchParams({ sso_error: message })}`);
    expect(await screen.findByRole("alert")).toHaveTextContent(message);
  });
});

describe("the single sign-on landing page", () => {
  it("exchanges the one-time code once, wipes it from the address bar and goes where the user was going", async () => {
    const api = installFakeApi({
      "POST /api/auth/sso/exchange": () => json(tokenPair(7)),
      "GET /api/info": () => json(info),
      "GET /api/auth/sso": () => json({ enabled: true, label: "Acme ID" }),
    });
    window.history.replaceState(null, "", "/sso/callback#code=one-time-abc&next=%2Fdashboard");
    renderApp("/sso/callback");

    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/auth/sso/exchange").map((c) => c.body)).toEqual([{ code: "one-time-abc" }]);
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-7");
    expect(window.location.hash).toBe("");
  });

  it("says so when the code was already used, with a way back to sign in", async () => {
    installFakeApi({
      "POST /api/auth/sso/exchange": () =>
        apiError(401, "Unauthorized", "This sign-in link was already used or has expired. Sign in again."),
    });
    window.history.replaceState(null, "", "/sso/callback#code=spent&next=%2F");
    renderApp("/sso/callback");

    expect(await screen.findByRole("alert")).toHaveTextContent("already used or has expired");
    expect(screen.getByRole("link", { name: "Back to sign in" })).toHaveAttribute("href", "/login");
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });
});
