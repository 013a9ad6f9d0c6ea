import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import type { CredentialRead } from "@/lib/api/types";
import { alice, credential, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { installFakeWebSocket } from "./fake-socket";

// Retry and Resume of a Modal job run on the Modal token of whoever presses the button
// (backend/tuneforge/jobs/billing.py): the job page says whose before the click.

const teamId = alice.teams[0]!.id;
const jobId = "1c7d4b2f-0e3a-4f5b-9c8d-234567890abc";

const stoppedModalJob = {
  id: jobId,
  team_id: teamId,
  created_by: "0a0a0a0a-1111-4222-8333-444444444444",
  created_by_name: "Bea Colleague",
  billed_user_id: "0a0a0a0a-1111-4222-8333-444444444444",
  billed_to: { user_id: "0a0a0a0a-1111-4222-8333-444444444444", name: "Bea Colleague", token_hint: "ak-…bbbb" },
  name: "SFT lora · tiny-llama · sums v1",
  status: "failed",
  method: "sft",
  adapter: "lora",
  base_model: "tiny-llama",
  dataset_version_id: "5a1b2c3d-0000-4000-8000-000000000001",
  executor: "modal",
  gpu_type: "A10G",
  auto_resume: true,
  timeout_minutes: 1440,
  cloned_from_id: null,
  attempt: 1,
  worker_name: "cloud-launcher",
  last_seq: 3,
  step: 6,
  total_steps: 12,
  latest_metrics: {},
  last_checkpoint: "storage:jobs/x/output/checkpoint-6",
  queued_at: "2026-11-22T01:00:00Z",
  started_at: "2026-11-22T01:00:01Z",
  finished_at: "2026-11-22T01:01:31Z",
  exit_code: 1,
  stderr_tail: null,
  error_kind: "runtime",
  message: "the trainer crashed",
  hint: null,
  result: {},
  gpu_seconds: 90,
  cost_usd: 0.03,
  config: { method: "sft", adapter: "lora", hyperparameters: { max_steps: 12 } },
  resolved_spec: null,
  estimate: {},
  created_at: "2026-11-22T01:00:00Z",
  updated_at: "2026-11-22T01:01:31Z",
};

function openJobPage(credentials: CredentialRead[]) {
  installFakeWebSocket();
  startSession(tokenPair(1));
  let current: typeof stoppedModalJob = stoppedModalJob;
  const api = installFakeApi({
    "GET /api/auth/me": () => json(alice),
    [`GET /api/jobs/${jobId}`]: () => json(current),
    [`GET /api/jobs/${jobId}/artifacts`]: () => json([]),
    "GET /api/credentials": () => json(credentials),
    [`POST /api/jobs/${jobId}/resume`]: () => {
      // The server bills whoever resumes (the stand-in for jobs/billing.py).
      current = {
        ...stoppedModalJob,
        status: "queued",
        billed_user_id: alice.id,
        billed_to: { user_id: alice.id, name: "Alice Martin", token_hint: "ak-…abcd" },
      };
      return json(current);
    },
  });
  renderApp(`/training/${jobId}`);
  return api;
}

describe("Retry and Resume of a Modal job", () => {
  it("say whose Modal token pays before the click: the presser's own", async () => {
    const api = openJobPage([credential({ provider: "huggingface", last4: "zzzz" }), credential({ provider: "modal", last4: "abcd" })]);
    expect(await screen.findByText("Runs on Modal with your token (ak-…abcd).")).toBeInTheDocument();
    // Who paid so far is shown too — a name and a token hint, never the secret.
    expect(screen.getByText(/Billed to Bea Colleague's Modal token \(ak-…bbbb\)/)).toBeInTheDocument();
    const resume = screen.getByRole("button", { name: "Resume" });
    expect(resume).toBeEnabled();
    expect(screen.getByRole("button", { name: "Retry" })).toBeEnabled();

    await userEvent.click(resume);
    await waitFor(() => expect(api.callsTo("POST", `/api/jobs/${jobId}/resume`)).toHaveLength(1));
    expect(await screen.findByText(/Billed to Alice Martin's Modal token \(ak-…abcd\)/)).toBeInTheDocument();
  });

  it("refuse before the click without a Modal token of one's own", async () => {
    const api = openJobPage([credential({ provider: "modal", configured: false, last4: null })]);
    expect(await screen.findByRole("link", { name: "Add a Modal token in Settings" })).toHaveAttribute("href", "/settings");
    expect(screen.queryByText(/Runs on Modal with your token/)).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Resume" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Retry" })).toBeDisabled();
    expect(api.callsTo("POST", `/api/jobs/${jobId}/resume`)).toHaveLength(0);
  });

  it("are not about tokens for local jobs (no credentials request)", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/jobs/${jobId}`]: () => json({ ...stoppedModalJob, executor: "local", gpu_type: null, billed_user_id: null, billed_to: null }),
      [`GET /api/jobs/${jobId}/artifacts`]: () => json([]),
    });
    renderApp(`/training/${jobId}`);
    expect(await screen.findByRole("button", { name: "Resume" })).toBeEnabled();
    expect(screen.queryByTestId("modal-billing")).not.toBeInTheDocument();
    expect(api.callsTo("GET", "/api/credentials")).toHaveLength(0);
  });
});
