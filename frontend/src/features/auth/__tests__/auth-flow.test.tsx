import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { initSession } from "@/lib/auth/refresh";
import { ACCESS_TOKEN_KEY, REFRESH_TOKEN_KEY, startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, noContent, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const info = {
  version: "0.1.0",
  methods: [{ name: "sft" }],
  adapters: [{ name: "lora" }],
  providers: [{ name: "hf" }],
  executors: [{ name: "local" }],
  workers: [],
};

describe("login", () => {
  it("shows the API's error detail verbatim and stays on the login page", async () => {
    const api = installFakeApi({
      "POST /api/auth/login": () => apiError(401, "Unauthorized", "Incorrect email or password."),
    });
    const { user } = renderApp("/login");

    await user.type(screen.getByLabelText("Email"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(/^Incorrect email or password\.$/);
    expect(screen.getByRole("heading", { name: "Sign in to TuneForge" })).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/auth/login")[0].body).toEqual({
      email: "alice@example.com",
      password: "wrong password",
    });
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });

  it("signs in, lands on the dashboard and sends the access token from then on", async () => {
    const api = installFakeApi({
      "POST /api/auth/login": () => json(tokenPair(1)),
      "GET /api/info": () => json(info),
    });
    const { user } = renderApp("/login");

    await user.type(screen.getByLabelText("Email"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
    expect(screen.getByRole("banner")).toHaveTextContent("Alice Martin");
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-1");
    await waitFor(() => expect(api.callsTo("GET", "/api/info")).toHaveLength(1));
    expect(api.callsTo("GET", "/api/info")[0].authorization).toBe("Bearer access-1");
    // The access token is kept with its expiry, so the next page load reuses it.
    expect(JSON.parse(window.localStorage.getItem(ACCESS_TOKEN_KEY)!)).toMatchObject({ token: "access-1" });
  });

  it("links to registration", () => {
    installFakeApi({});
    renderApp("/login");
    expect(screen.getByRole("link", { name: "Create an account" })).toHaveAttribute("href", "/register");
  });
});

describe("register", () => {
  it("refuses a password over 72 bytes before calling the server, saying so", async () => {
    const api = installFakeApi({});
    const { user } = renderApp("/register");

    await user.type(screen.getByLabelText("Name"), "Zoé");
    await user.type(screen.getByLabelText("Email"), "zoe@example.com");
    // 37 characters, 74 bytes in UTF-8.
    await user.type(screen.getByLabelText("Password"), "é".repeat(37));
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("This password is too long");
    expect(api.calls).toHaveLength(0);
  });

  it("refuses a password under 10 characters before calling the server, in plain words", async () => {
    const api = installFakeApi({});
    const { user } = renderApp("/register");

    expect(screen.getByText("10 or more characters; a few unrelated words work well.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Name"), "Zoé");
    await user.type(screen.getByLabelText("Email"), "zoe@example.com");
    await user.type(screen.getByLabelText("Password"), "ninechars");
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(/^Password must be at least 10 characters/);
    expect(api.calls).toHaveLength(0);
  });

  it("creates the account and lands on the dashboard", async () => {
    const api = installFakeApi({
      "POST /api/auth/register": () => json(tokenPair(1), 201),
      "GET /api/info": () => json(info),
    });
    const { user } = renderApp("/register");
    expect(screen.getByRole("heading", { name: "Create your account" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/login");

    await user.type(screen.getByLabelText("Name"), "Alice Martin");
    await user.type(screen.getByLabelText("Email"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "correct-horse-battery-staple");
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/auth/register")[0].body).toEqual({
      display_name: "Alice Martin",
      email: "alice@example.com",
      password: "correct-horse-battery-staple",
    });
  });

  it("shows a server validation error's detail", async () => {
    installFakeApi({
      "POST /api/auth/register": () =>
        json(
          {
            error: "ValidationError",
            detail: "An account with this email already exists. Sign in instead.",
            fields: [{ field: "email", message: "An account with this email already exists. Sign in instead." }],
          },
          409,
        ),
    });
    const { user } = renderApp("/register");
    await user.type(screen.getByLabelText("Name"), "Alice");
    await user.type(screen.getByLabelText("Email"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "correct-horse-battery-staple");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      /^An account with this email already exists\. Sign in instead\.$/,
    );
  });
});

describe("protected routes", () => {
  it("send a signed-out visitor to the login page, and back after signing in", async () => {
    installFakeApi({
      "POST /api/auth/login": () => json(tokenPair(1)),
      "GET /api/credentials": () => json([]),
    });
    const { user } = renderApp("/settings");
    expect(await screen.findByRole("heading", { name: "Sign in to TuneForge" })).toBeInTheDocument();

    await user.type(screen.getByLabelText("Email"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { name: "Settings" })).toBeInTheDocument();
  });

  it("resume a stored session with one silent refresh before rendering", async () => {
    window.localStorage.setItem(REFRESH_TOKEN_KEY, "refresh-0");
    const api = installFakeApi({
      "POST /api/auth/refresh": () => json(tokenPair(1)),
      "GET /api/credentials": () => json([]),
    });
    void initSession();
    renderApp("/settings");

    expect(await screen.findByRole("heading", { name: "Settings" })).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
    expect(api.callsTo("POST", "/api/auth/refresh")[0].body).toEqual({ refresh_token: "refresh-0" });
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-1");
    await waitFor(() => expect(api.callsTo("GET", "/api/credentials")).toHaveLength(1));
    expect(api.callsTo("GET", "/api/credentials")[0].authorization).toBe("Bearer access-1");
  });

  it("go to the login page when the stored refresh token is refused", async () => {
    window.localStorage.setItem(REFRESH_TOKEN_KEY, "revoked");
    installFakeApi({
      "POST /api/auth/refresh": () => apiError(401, "Unauthorized", "Your session has ended. Sign in again."),
    });
    void initSession();
    renderApp("/dashboard");

    expect(await screen.findByRole("heading", { name: "Sign in to TuneForge" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent(
      "You were signed out because the server refused to renew your session: your session has ended.",
    );
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });
});

describe("expired access token", () => {
  it("is refreshed once for parallel requests, which are retried; a failed refresh signs out", async () => {
    startSession(tokenPair(1));
    let refreshes = 0;
    const onlyFresh = (body: unknown) => (call: { authorization: string | null }) =>
      call.authorization === "Bearer access-2" ? json(body) : apiError(401, "Unauthorized", "Token expired.");
    const api = installFakeApi({
      "GET /api/auth/me": onlyFresh(alice),
      "GET /api/credentials": onlyFresh([]),
      "POST /api/auth/refresh": () => {
        refreshes += 1;
        return refreshes === 1 ? json(tokenPair(2)) : apiError(401, "Unauthorized", "Refresh token reused.");
      },
      "GET /api/info": () => apiError(401, "Unauthorized", "Token expired."),
    });
    const { user } = renderApp("/settings");

    expect(await screen.findByRole("heading", { name: "Hugging Face token" })).toBeInTheDocument();
    expect(await screen.findByLabelText("Name")).toHaveValue("Alice Martin");
    // Two requests failed with the old token, shared one refresh, and were each retried once.
    expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
    expect(api.callsTo("GET", "/api/credentials").map((c) => c.authorization)).toEqual([
      "Bearer access-1",
      "Bearer access-2",
    ]);
    expect(api.callsTo("GET", "/api/auth/me").map((c) => c.authorization)).toEqual([
      "Bearer access-1",
      "Bearer access-2",
    ]);
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-2");

    // /api/info refuses every token and the next refresh fails: the user is signed out.
    await user.click(screen.getByRole("link", { name: "Dashboard" }));
    expect(await screen.findByRole("heading", { name: "Sign in to TuneForge" })).toBeInTheDocument();
    expect(api.callsTo("GET", "/api/info")).toHaveLength(1);
    expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(2);
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });
});

describe("log out", () => {
  it("revokes the refresh token on the server, then forgets the tokens", async () => {
    startSession(tokenPair(1));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      "GET /api/info": () => json(info),
      "GET /api/credentials": () => json([]),
      "POST /api/auth/login": () => json(tokenPair(2)),
      "POST /api/auth/logout": () => {
        // The token is still there while the server is being told.
        expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-1");
        return noContent();
      },
    });
    const { user } = renderApp("/settings");

    await user.click(await screen.findByRole("button", { name: "Log out" }));

    expect(await screen.findByRole("heading", { name: "Sign in to TuneForge" })).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/auth/logout")[0].body).toEqual({ refresh_token: "refresh-1" });
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    expect(screen.queryByText("Alice Martin")).not.toBeInTheDocument();

    // Signing in again starts on the dashboard, not on the page the user logged out from.
    await user.type(screen.getByLabelText("Email"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
  });
});
