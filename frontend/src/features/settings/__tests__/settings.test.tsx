import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { CredentialRead } from "@/lib/api/types";
import { REFRESH_TOKEN_KEY, startSession } from "@/lib/auth/session";
import { JOB_NOTIFICATIONS_KEY } from "@/lib/notifications";
import { alice, apiError, credential, installFakeApi, json, noContent, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const unreachable = "Saved, but not verified: Hugging Face could not be reached. Press Validate to try again later.";

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
    "GET /api/tokens": () => json([]),
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
    // Saved but not verified: neither box is a success; the warning says why.
    expect(hf.getByText("Hugging Face token saved.")).toHaveAttribute("data-tone", "info");
    expect(hf.getByText(unreachable)).toHaveAttribute("data-tone", "warning");
    expect(hf.getAllByRole("status").filter((box) => box.dataset.tone === "success")).toHaveLength(0);
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

    expect(await hf.findByRole("alert")).toHaveTextContent(
      /^Checked just now\. Hugging Face says this token is invalid or revoked\.$/,
    );
    expect(hf.queryByText(/verified\./)).not.toBeInTheDocument();
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

  it("asks for the current password before changing the email, and sends it", async () => {
    const { user, fake } = openSettings([], {
      "PATCH /api/auth/me": (call) => {
        const { current_password: _, ...changes } = call.body as Record<string, string>;
        return json({ ...alice, ...changes });
      },
    });
    const profile = within(await findSection("Profile"));
    // Nothing to confirm while the email is unchanged.
    expect(profile.queryByLabelText("Current password")).not.toBeInTheDocument();

    const email = profile.getByLabelText("Email");
    await user.clear(email);
    await user.type(email, "alice.new@example.com");
    const current = profile.getByLabelText("Current password");
    expect(current).toHaveAttribute("type", "password");
    expect(current).toHaveAttribute("autocomplete", "current-password");

    await user.click(profile.getByRole("button", { name: "Save profile" }));
    expect(await profile.findByRole("alert")).toHaveTextContent(/^Enter your current password to change your email\.$/);
    expect(fake.callsTo("PATCH", "/api/auth/me")).toHaveLength(0);

    await user.type(current, "correct-horse-battery-staple");
    await user.click(profile.getByRole("button", { name: "Save profile" }));
    expect(await profile.findByRole("status")).toHaveTextContent("Profile saved.");
    expect(fake.callsTo("PATCH", "/api/auth/me")[0].body).toEqual({
      email: "alice.new@example.com",
      current_password: "correct-horse-battery-staple",
    });
    // Saved: the email is the account's again, so the password field goes away (and is cleared).
    expect(profile.queryByLabelText("Current password")).not.toBeInTheDocument();
  });

  it("shows the server's answer to a wrong current password on an email change", async () => {
    const { user } = openSettings([], {
      "PATCH /api/auth/me": () => apiError(400, "BadRequest", "The current password is not correct."),
    });
    const profile = within(await findSection("Profile"));
    await user.clear(profile.getByLabelText("Email"));
    await user.type(profile.getByLabelText("Email"), "thief@example.com");
    await user.type(profile.getByLabelText("Current password"), "a wrong guess here");
    await user.click(profile.getByRole("button", { name: "Save profile" }));
    expect(await profile.findByRole("alert")).toHaveTextContent(/^The current password is not correct\.$/);
  });

  it("describes a good new password in plain words", async () => {
    openSettings();
    const password = within(await findSection("Password"));
    expect(password.getByText("10 or more characters; a few unrelated words work well.")).toBeInTheDocument();
    expect(password.queryByText(/bytes|UTF-8/)).not.toBeInTheDocument();
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
    expect(await password.findByRole("alert")).toHaveTextContent("This password is too long");
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


/** The API's 422 for a refused field, in the real server's shape (summary detail + field messages). */
function refused(field: string, message: string) {
  return json(
    { error: "ValidationError", detail: `The request is not valid — ${field}: ${message}`, fields: [{ field, message }] },
    422,
  );
}

describe("each outcome styled for what it is", () => {
  it("a verified token is a success", async () => {
    const { user } = openSettings([], {
      "PUT /api/credentials/huggingface": () =>
        json(credential({ provider: "huggingface", last4: "9876", status: "valid", username: "alice-hf", message: "Verified as alice-hf" })),
    });
    await user.type(await screen.findByLabelText("Hugging Face token"), "hf_SecretValue98765432109876");
    await user.click(screen.getByRole("button", { name: "Save Hugging Face token" }));

    const hf = within(await findSection("Hugging Face token"));
    expect(await hf.findByText("Hugging Face token saved and verified.")).toHaveAttribute("data-tone", "success");
    expect(hf.queryByText(/Hugging Face token saved\.$/)).not.toBeInTheDocument();
  });

  it("a check that could not verify is a warning that says why, not a success", async () => {
    const stillUnverified = credential({ provider: "huggingface", last4: "abcd", status: "unverified", message: unreachable });
    const { user } = openSettings([stillUnverified], {}, stillUnverified);
    const hf = within(await findSection("Hugging Face token"));

    await user.click(await hf.findByRole("button", { name: "Validate Hugging Face token" }));

    const warning = await hf.findByText(`Checked just now. ${unreachable}`);
    expect(warning).toHaveAttribute("data-tone", "warning");
    expect(hf.queryByText(/checked: not verified/)).not.toBeInTheDocument();
    expect(hf.getAllByRole("status").filter((box) => box.dataset.tone === "success")).toHaveLength(0);
  });

  it("a refused Hugging Face token is an error in plain words, said once", async () => {
    const message =
      'This is not a Hugging Face token: they start with "hf_". Create one at huggingface.co/settings/tokens and paste it whole.';
    const { user } = openSettings([], { "PUT /api/credentials/huggingface": () => refused("token", message) });
    await user.type(await screen.findByLabelText("Hugging Face token"), "not-a-token");
    await user.click(screen.getByRole("button", { name: "Save Hugging Face token" }));

    const hf = within(await findSection("Hugging Face token"));
    expect(await hf.findByRole("alert")).toHaveTextContent(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    expect(document.body.textContent!.split("they start with").length - 1).toBe(1);
    expect(document.body.textContent).not.toContain("The request is not valid");
    expect(hf.queryByText(/Saved token ending in/)).not.toBeInTheDocument();
  });

  it("a refused Modal token shows each problem once, without the raw validation text", async () => {
    const { user } = openSettings([], {
      "PUT /api/credentials/modal": () =>
        json(
          {
            error: "ValidationError",
            detail:
              'The request is not valid — token_id: Modal token IDs start with "ak-". Copy the ID from modal.com/settings/tokens.',
            fields: [
              { field: "token_id", message: 'Modal token IDs start with "ak-". Copy the ID from modal.com/settings/tokens.' },
            ],
          },
          422,
        ),
    });
    await user.type(await screen.findByLabelText("Modal token ID"), "abc123456789");
    await user.type(screen.getByLabelText("Modal token secret"), "as-topsecret4321");
    await user.click(screen.getByRole("button", { name: "Save Modal token" }));

    const modal = within(await findSection("Modal token"));
    expect(await modal.findByRole("alert")).toHaveTextContent(
      /^Modal token IDs start with "ak-"\. Copy the ID from modal\.com\/settings\/tokens\.$/,
    );
    expect(document.body.textContent!.split("Modal token IDs start with").length - 1).toBe(1);
    expect(document.body.textContent).not.toContain("token_id");
  });
});

describe("browser notifications", () => {
  function stubNotification(permission: NotificationPermission, answer: NotificationPermission) {
    const Fake = Object.assign(function FakeNotification() {}, {
      permission,
      requestPermission: vi.fn(async () => {
        Fake.permission = answer;
        return answer;
      }),
    });
    vi.stubGlobal("Notification", Fake);
    return Fake;
  }

  it("are asked for only from a click, and kept on once the browser allows them", async () => {
    const Fake = stubNotification("default", "granted");
    const { user } = openSettings();
    const section = within(await findSection("Notifications"));
    expect(Fake.requestPermission).not.toHaveBeenCalled();

    await user.click(section.getByRole("button", { name: "Notify me when a job finishes" }));

    expect(Fake.requestPermission).toHaveBeenCalledTimes(1);
    expect(await section.findByRole("status")).toHaveTextContent("Browser notifications are on");
    expect(window.localStorage.getItem(JOB_NOTIFICATIONS_KEY)).toBe("on");

    await user.click(section.getByRole("button", { name: "Turn off browser notifications" }));
    expect(window.localStorage.getItem(JOB_NOTIFICATIONS_KEY)).toBeNull();
  });

  it("say how to unblock them when the browser refuses", async () => {
    stubNotification("default", "denied");
    const { user } = openSettings();
    const section = within(await findSection("Notifications"));
    await user.click(section.getByRole("button", { name: "Notify me when a job finishes" }));
    expect(await section.findByRole("alert")).toHaveTextContent("Your browser blocks notifications from this site");
    expect(window.localStorage.getItem(JOB_NOTIFICATIONS_KEY)).toBeNull();
  });
});
