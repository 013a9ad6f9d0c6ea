import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApiTokenCreate, ApiTokenRead } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, noContent, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const SECRET = "tfp_" + "A".repeat(36) + "w9Zq";

function row(overrides: Partial<ApiTokenRead> = {}): ApiTokenRead {
  return {
    id: "11111111-1111-4111-8111-111111111111",
    name: "nightly eval",
    scope: "read",
    last_four: "k3Yp",
    created_at: "2026-11-01T10:00:00Z",
    expires_at: "2099-01-30T10:00:00Z",
    last_used_at: "2026-11-20T08:30:00Z",
    revoked_at: null,
    ...overrides,
  };
}

/** Settings against a fake API that keeps API tokens like the real one: the secret only in the create answer. */
function openSettings(initial: ApiTokenRead[] = []) {
  startSession(tokenPair(1));
  let stored = [...initial];
  const fake = installFakeApi({
    "GET /api/auth/me": () => json(alice),
    "GET /api/credentials": () => json([]),
    "GET /api/tokens": () => json(stored),
    "POST /api/tokens": (call) => {
      const body = call.body as ApiTokenCreate;
      const made = row({
        id: "22222222-2222-4222-8222-222222222222",
        name: body.name,
        scope: body.scope ?? "read",
        last_four: SECRET.slice(-4),
        last_used_at: null,
      });
      stored = [made, ...stored];
      return json({ ...made, token: SECRET }, 201);
    },
    "DELETE /api/tokens/11111111-1111-4111-8111-111111111111": () => {
      stored = stored.map((t) => (t.id === initial[0]?.id ? { ...t, revoked_at: "2026-11-22T09:00:00Z" } : t));
      return noContent();
    },
  });
  return { ...renderApp("/settings"), fake };
}

async function tokensSection() {
  return within((await screen.findByRole("heading", { name: "API tokens", level: 2 })).closest("section")!);
}

afterEach(() => vi.restoreAllMocks());

describe("API tokens", () => {
  it("creates a token and shows it once, with Copy and a warning; the list never shows it", async () => {
    const { user, fake } = openSettings();
    const section = await tokensSection();
    expect(await section.findByText("No API tokens yet.")).toBeInTheDocument();

    await user.type(section.getByLabelText("Token name"), "CI uploads");
    await user.selectOptions(section.getByLabelText("Scope"), "write");
    await user.selectOptions(section.getByLabelText("Expires in"), "30");
    await user.click(section.getByRole("button", { name: "Create token" }));

    const shown = await section.findByLabelText("New API token");
    expect(shown).toHaveValue(SECRET);
    expect(section.getByText(/shown only this once/)).toBeInTheDocument();
    expect(fake.callsTo("POST", "/api/tokens")[0].body).toEqual({ name: "CI uploads", scope: "write", expires_in_days: 30 });
    const list = await section.findByRole("list", { name: "Your API tokens" });
    expect(await within(list).findByText("CI uploads")).toBeInTheDocument();
    expect(within(list).getByText("tfp_…w9Zq")).toBeInTheDocument();

    await user.click(section.getByRole("button", { name: "Copy" }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(section.getByRole("button", { name: "Copied" })).toBeInTheDocument();

    // Once dismissed, the secret is gone from the page for good.
    await user.click(section.getByRole("button", { name: "Done" }));
    expect(section.queryByLabelText("New API token")).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("lists last use and expiry, and revokes after confirming", async () => {
    const { user, fake } = openSettings([row()]);
    const section = await tokensSection();
    const list = await section.findByRole("list", { name: "Your API tokens" });
    expect(await within(list).findByText("nightly eval")).toBeInTheDocument();
    expect(within(list).getByText(/last used/)).toBeInTheDocument();
    expect(within(list).getByText(/expires/)).toBeInTheDocument();

    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const revoke = within(list).getByRole("button", { name: "Revoke the API token nightly eval" });
    await user.click(revoke);
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("Revoke the API token “nightly eval”"));
    expect(fake.callsTo("DELETE", "/api/tokens/11111111-1111-4111-8111-111111111111")).toHaveLength(0);

    await user.click(revoke);
    await waitFor(() => expect(fake.callsTo("DELETE", "/api/tokens/11111111-1111-4111-8111-111111111111")).toHaveLength(1));
    expect(await within(list).findByText("revoked")).toBeInTheDocument();
    expect(within(list).queryByRole("button", { name: /Revoke/ })).not.toBeInTheDocument();
  });
});
