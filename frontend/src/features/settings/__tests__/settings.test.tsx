import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { CredentialRead } from "@/lib/api/types";
import { REFRESH_TOKEN_KEY, startSession } from "@/lib/auth/session";
import { alice, apiError, credential, installFakeApi, json, noContent, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const unreachable = "could not reach Hugging Face — the token was saved but not verified";

/** A signed-in user on /settings, against a fake API that stores credentials like the real one. */
function openSettings(
  initial: CredentialRead[] = [],
  extra: Parameters<typeof installFakeApi>[0] = {},
  validationResult?: CredentialRead,
) {
  startSession(tokenPair(1));
  let stored = [...initial];
  const put = (item: CredentialRead) => {
    stored = [...stored.filter((c) => c.provider !== item.provider), item];
    return json(item);
  };
  const fake = installFakeApi({
    "GET /api/auth/me": () => json(alice),
    "GET /api/credentials": () => json(stored),
    "PUT /api/credentials/huggingface": (call) => {
      const token = (call.body as { token: string }).token;
      return put(credential({ provider: "huggingface", last4: token.slice(-4), status: "unverified", message: unreachable }));
    },
    "PUT /api/credentials/modal": (call) => {
      const tokenId = (call.body as { token_id: string }).token_id;
      return put(credential({ provider: "modal", last4: tokenId.slice(-4), status: "unverified" }));
    },
    "POST /api/credentials/huggingface/validate": () =>
      validationResult ? put(validationResult) : apiError(404, "NotFound", "No Hugging Face token is saved."),
    "DELETE /api/credentials/huggingface": () => {
      stored = stored.filter((c) => c.provider !== "huggingface");
      return noContent();
    },
    ...extra,
  });
  return { ...renderApp("/settings"), fake };
}

async function findSection(name: string): Promise<HTMLElement> {
  return (await screen.findByRole("heading", { name, level: 2 })).closest("section")!;
}

describe("Hugging Face token", () => {
  it("saves the token, shows only its last 4 characters and clears the input", async () => {
    const { user, fake } = openSettings();
    const input = await screen.findByLabelText("Hugging Face token");
    expect(input).toHaveAttribute("type", "password");

    await user.type(input, "hf_SecretValue9876");
    await user.click(screen.getByRole("button", { name: "Save Hugging Face token" }));

    const hf = within(await findSection("Hugging Face token"));
    expect(await hf.findByText("Saved token ending in 9876")).toBeInTheDocument();
    expect(hf.getByRole("status")).toHaveTextContent("Hugging Face token saved.");
    expect(hf.getByText(unreachable)).toBeInTheDocument();
    expect(input).toHaveValue("");
    expect(document.body.innerHTML).not.toContain("hf_SecretValue9876");
    expect(fake.callsTo("PUT", "/api/credentials/huggingface")[0].body).toEqual({ token: "hf_SecretValue9876" });
    expect(hf.getByRole("button", { name: "Validate Hugging Face token" })).toBeInTheDocument();
    expect(hf.getByRole("button", { name: "Delete Hugging Face token" })).toBeInTheDocument();
  });

  it("shows the validation result the server reports", async () => {
    const { user } = openSettings(
      [credential({ provider: "huggingface", last4: "abcd", message: unreachable })],
      {},
      credential({
        provider: "huggingface",
        last4: "abcd",
        status: "valid",
        username: "alice-hf",
        message: "Verified as alice-hf",
        verified_at: "2026-11-22T01:00:00Z",
      }),
    );
    const hf = within(await findSection("Hugging Face token"));
    expect(await hf.findByText(unreachable)).toBeInTheDocument();

    await user.click(hf.getByRole("button", { name: "Validate Hugging Face token" }));

    expect(await hf.findByText("Verified as alice-hf")).toBeInTheDocument();
    expect(hf.queryByText(unreachable)).not.toBeInTheDocument();
    expect(hf.getByRole("status")).toHaveTextContent("Hugging Face token verified.");
    expect(hf.getByText("Last verified")).toBeInTheDocument();
  });

  it("says so when the token is rejected", async () => {
    const { user } = openSettings(
      [credential({ provider: "huggingface", last4: "abcd" })],
      {},
      credential({
        provider: "huggingface",
        last4: "abcd",
        status: "invalid",
        message: "Hugging Face says this token is invalid or revoked.",
      }),
    );
    const hf = within(await findSection("Hugging Face token"));

    await user.click(await hf.findByRole("button", { name: "Validate Hugging Face token" }));

    expect(await hf.findByRole("alert")).toHaveTextContent("Hugging Face token was rejected");
    expect(hf.getByText("Hugging Face says this token is invalid or revoked.")).toBeInTheDocument();
  });

  it("deletes the token", async () => {
    const { user, fake } = openSettings([credential({ provider: "huggingface", last4: "abcd" })]);
    const hf = within(await findSection("Hugging Face token"));

    await user.click(await hf.findByRole("button", { name: "Delete Hugging Face token" }));

    expect(await hf.findByRole("status")).toHaveTextContent("Hugging Face token deleted.");
    expect(hf.queryByText(/Saved token ending in/)).not.toBeInTheDocument();
    expect(fake.callsTo("DELETE", "/api/credentials/huggingface")).toHaveLength(1);
  });
});

describe("Modal token", () => {
  it("saves the ID and secret, shows the masked token and clears both inputs", async () => {
    const { user, fake } = openSettings();
    const tokenId = await screen.findByLabelText("Modal token ID");
    const tokenSecret = screen.getByLabelText("Modal token secret");
    expect(tokenSecret).toHaveAttribute("type", "password");

    await user.type(tokenId, "ak-123456");
    await user.type(tokenSecret, "as-topsecret4321");
    await user.click(screen.getByRole("button", { name: "Save Modal token" }));

    const modal = within(await findSection("Modal token"));
    expect(await modal.findByText("Saved token ending in 3456")).toBeInTheDocument();
    expect(tokenId).toHaveValue("");
    expect(tokenSecret).toHaveValue("");
    expect(fake.callsTo("PUT", "/api/credentials/modal")[0].body).toEqual({
      token_id: "ak-123456",
      token_secret: "as-topsecret4321",
    });
    expect(modal.getByRole("button", { name: "Validate Modal token" })).toBeInTheDocument();
    expect(modal.getByRole("button", { name: "Delete Modal token" })).toBeInTheDocument();
  });
});

describe("profile and password", () => {
  it("saves a new name, which the header shows too", async () => {
    const { user, fake } = openSettings([], {
      "PATCH /api/auth/me": (call) => json({ ...alice, ...(call.body as object) }),
    });
    const name = await screen.findByLabelText("Name");
    expect(screen.getByLabelText("Email")).toHaveValue("alice@example.com");

    await user.clear(name);
    await user.type(name, "Alice M.");
    await user.click(screen.getByRole("button", { name: "Save profile" }));

    expect(await within(await findSection("Profile")).findByRole("status")).toHaveTextContent("Profile saved.");
    expect(fake.callsTo("PATCH", "/api/auth/me")[0].body).toEqual({ display_name: "Alice M." });
    expect(screen.getByRole("banner")).toHaveTextContent("Alice M.");
  });

  it("stores the new token pair after a password change", async () => {
    const { user, fake } = openSettings([], {
      "POST /api/auth/password": () => json(tokenPair(7)),
      "PUT /api/credentials/huggingface": (call) =>
        json(credential({ provider: "huggingface", last4: "zzzz", message: call.authorization })),
    });
    await user.type(await screen.findByLabelText("Current password"), "old password");
    await user.type(screen.getByLabelText("New password"), "a much better passphrase");
    await user.click(screen.getByRole("button", { name: "Change password" }));

    expect(await within(await findSection("Password")).findByRole("status")).toHaveTextContent("Password changed.");
    expect(screen.getByLabelText("Current password")).toHaveValue("");
    expect(window.localStorage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-7");
    expect(fake.callsTo("POST", "/api/auth/password")[0].body).toEqual({
      current_password: "old password",
      new_password: "a much better passphrase",
    });

    // The next request carries the new access token.
    await user.type(screen.getByLabelText("Hugging Face token"), "hf_zzzz");
    await user.click(screen.getByRole("button", { name: "Save Hugging Face token" }));
    await waitFor(() => expect(fake.callsTo("PUT", "/api/credentials/huggingface")).toHaveLength(1));
    expect(fake.callsTo("PUT", "/api/credentials/huggingface")[0].authorization).toBe("Bearer access-7");
  });

  it("explains a wrong current password and a too-long new one", async () => {
    const { user, fake } = openSettings([], {
      "POST /api/auth/password": () => apiError(400, "BadRequest", "Your current password is incorrect."),
    });
    const password = within(await findSection("Password"));
    await user.type(await screen.findByLabelText("Current password"), "old password");
    await user.type(screen.getByLabelText("New password"), "🔥".repeat(19));
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await password.findByRole("alert")).toHaveTextContent("at most 72 bytes");
    expect(fake.callsTo("POST", "/api/auth/password")).toHaveLength(0);

    await user.clear(screen.getByLabelText("New password"));
    await user.type(screen.getByLabelText("New password"), "long enough now");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await password.findByText("Your current password is incorrect.")).toBeInTheDocument();
    expect(password.getByRole("alert")).toHaveTextContent(/^Your current password is incorrect\.$/);
  });
});

describe("failures", () => {
  it("shows the API's detail when saving a token fails", async () => {
    const { user } = openSettings([], {
      "PUT /api/credentials/huggingface": () =>
        json({ error: "ValidationError", detail: "The token is empty.", fields: [{ field: "token", message: "The token is empty." }] }, 422),
    });
    await user.type(await screen.findByLabelText("Hugging Face token"), "   x");
    await user.click(screen.getByRole("button", { name: "Save Hugging Face token" }));
    expect(await within(await findSection("Hugging Face token")).findByRole("alert")).toHaveTextContent(/^The token is empty\.$/);
  });
});

