import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import type { Role } from "@/lib/api/types";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceAs, roleKnown, viewerCant } from "@/test/roles";
import { installFakeWebSocket } from "./fake-socket";

// A viewer sees the training actions where a member would, disabled, with the reason on hover and for
// screen readers (docs/permissions.md: launching, cancelling and deleting jobs need the member role).

const teamId = alice.teams[0]!.id;
const jobId = "1c7d4b2f-0e3a-4f5b-9c8d-234567890abc";
const failedJob = {
  id: jobId, team_id: teamId, created_by: alice.id, created_by_name: "Alice Martin", billed_user_id: null, billed_to: null,
  name: "SFT lora · tiny-llama · sums v1", status: "failed", method: "sft", adapter: "lora", base_model: "tiny-llama",
  dataset_version_id: "5a1b2c3d-0000-4000-8000-000000000001", executor: "local", gpu_type: null, auto_resume: true,
  timeout_minutes: 1440, cloned_from_id: null, attempt: 1, worker_name: "w", last_seq: 3, step: 6, total_steps: 12,
  latest_metrics: {}, last_checkpoint: "storage:jobs/x/output/checkpoint-6", queued_at: "2026-11-22T01:00:00Z",
  started_at: "2026-11-22T01:00:01Z", finished_at: "2026-11-22T01:01:31Z", exit_code: 1, stderr_tail: null,
  error_kind: "runtime", message: "the trainer crashed", hint: null, result: {}, gpu_seconds: 90, cost_usd: 0,
  config: { method: "sft", adapter: "lora", hyperparameters: { max_steps: 12 } }, resolved_spec: null, estimate: {},
  created_at: "2026-11-22T01:00:00Z", updated_at: "2026-11-22T01:01:31Z",
};

const info = {
  version: "0.1.0",
  methods: [{ name: "sft", title: "Supervised fine-tuning (SFT)", help: "Teaches the model.", data_kinds: ["chat"], adapters: ["lora"], available: true }],
  data_kinds: [{ name: "chat", description: "chat conversations" }],
  adapters: [{ name: "lora", available: true }],
  providers: [{ name: "hf", available: true }],
  executors: [{ name: "local" }],
  base_models: [{ name: "tiny-llama", available: true, description: "tiny" }],
  presets: {},
  workers: [],
};

function openAs(role: Role, path: string) {
  installFakeWebSocket();
  startSession(tokenPair(1, aliceAs(role)));
  const api = installFakeApi({
    "GET /api/auth/me": () => json(aliceAs(role)),
    [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 0 }),
    [`GET /api/jobs/${jobId}`]: () => json(failedJob),
    [`GET /api/jobs/${jobId}/artifacts`]: () => json([]),
    "GET /api/info": () => json(info),
    "GET /api/credentials": () => json([]),
    [`GET /api/teams/${teamId}/datasets`]: () => json([]),
    [`GET /api/teams/${teamId}/job-templates`]: () => json([]),
    "GET /api/model-folders": () => json([]),
  });
  renderApp(path);
  return api;
}

describe("training for a viewer", () => {
  it("shows New job disabled, saying why", async () => {
    openAs("viewer", "/training");
    const [newJob] = await screen.findAllByTitle(viewerCant("launch jobs"));
    expect(newJob).toHaveTextContent("New job");
    expect(newJob).toHaveAttribute("aria-disabled", "true");
    expect(screen.queryByRole("link", { name: "New job" })).not.toBeInTheDocument();
  });

  it("shows a job's Retry, Resume, Delete and Run again disabled, with the reason for screen readers", async () => {
    const api = openAs("viewer", `/training/${jobId}`);
    const why = viewerCant("cancel, retry, resume or delete jobs");
    // The reason names the group of disabled buttons (read on entering it) and shows on hover.
    const actions = await screen.findByRole("group", { name: why });
    expect(actions).toHaveAttribute("title", why);
    for (const name of ["Retry", "Resume", "Delete"]) {
      expect(within(actions).getByRole("button", { name })).toBeDisabled();
    }
    expect(screen.getByText("Run again with changes")).toHaveAttribute("title", viewerCant("launch jobs"));
    expect(api.callsTo("POST", `/api/jobs/${jobId}/retry`)).toHaveLength(0);
  });

  it("says on the new job page that Launch needs the member role", async () => {
    openAs("viewer", "/training/new");
    expect(await screen.findByText(viewerCant("launch jobs"))).toBeInTheDocument();
  });
});

describe("training for a member", () => {
  it("offers New job", async () => {
    openAs("member", "/training");
    await roleKnown();
    expect((await screen.findAllByRole("link", { name: "New job" }))[0]).toHaveAttribute("href", "/training/new");
  });

  it("enables Retry, Resume and Delete", async () => {
    openAs("member", `/training/${jobId}`);
    await roleKnown();
    expect(await screen.findByRole("button", { name: "Retry" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Resume" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Delete" })).toBeEnabled();
    expect(screen.getByRole("link", { name: "Run again with changes" })).toHaveAttribute("href", `/training/new?from=${jobId}`);
  });
});
