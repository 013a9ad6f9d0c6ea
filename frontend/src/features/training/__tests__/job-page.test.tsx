import { act, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { event, FakeWebSocket, installFakeWebSocket } from "./fake-socket";

const teamId = alice.teams[0]!.id;
const jobId = "0b6c3a1e-9d2f-4e5a-8b7c-1234567890ab";

const finishedJob = {
  id: jobId,
  team_id: teamId,
  created_by: alice.id,
  created_by_name: "Alice Martin",
  name: "SFT lora · tiny-llama · sums v1",
  status: "succeeded",
  method: "sft",
  adapter: "lora",
  base_model: "tiny-llama",
  dataset_version_id: "5a1b2c3d-0000-4000-8000-000000000001",
  executor: "local",
  gpu_type: null,
  auto_resume: true,
  timeout_minutes: 1440,
  cloned_from_id: null,
  attempt: 1,
  worker_name: "gpu-box",
  last_seq: 9,
  step: 4,
  total_steps: 4,
  latest_metrics: { loss: 2.1 },
  last_checkpoint: null,
  queued_at: "2026-11-22T01:00:00Z",
  started_at: "2026-11-22T01:00:01Z",
  finished_at: "2026-11-22T01:01:31Z",
  exit_code: 0,
  stderr_tail: null,
  error_kind: null,
  message: "finished",
  hint: null,
  result: { metrics: {}, output_dir: "/data/jobs/x/output" },
  gpu_seconds: null,
  cost_usd: null,
  config: { method: "sft", adapter: "lora", hyperparameters: { max_steps: 4 } },
  resolved_spec: null,
  estimate: {},
  created_at: "2026-11-22T01:00:00Z",
  updated_at: "2026-11-22T01:01:31Z",
};

const backlog = [
  event(1, "status", { status: "queued", message: "queued by Alice Martin" }, 0),
  event(2, "status", { status: "running", message: "started on gpu-box", worker: "gpu-box", attempt: 1 }),
  ...[1, 2, 3, 4].map((step, i) =>
    event(3 + i, "metric", { step, max_steps: 4, loss: 3 - step * 0.2, learning_rate: 1e-4, time: 100 + step }),
  ),
  event(7, "eval", {
    step: 4,
    final: true,
    eval_loss: 2.05,
    perplexity: 7.77,
    base_eval_loss: 2.6,
    base: { rouge1: 0.1, exact_match: 0 },
    fine_tuned: { rouge1: 0.4, exact_match: 0.25 },
  }),
  event(8, "finished", { steps: 4 }),
  event(9, "status", { status: "succeeded", message: "finished" }),
];

function signedIn() {
  startSession(tokenPair(1));
  return installFakeApi({
    "GET /api/auth/me": () => json(alice),
    [`GET /api/jobs/${jobId}`]: () => json(finishedJob),
    [`GET /api/jobs/${jobId}/artifacts`]: () =>
      json([
        { path: "adapter_model.safetensors", size_bytes: 134616 },
        { path: "adapter_config.json", size_bytes: 1188 },
      ]),
  });
}

describe("the job page", () => {
  it("shows a finished job's whole history from the event stream", async () => {
    installFakeWebSocket();
    signedIn();
    renderApp(`/training/${jobId}`);

    expect(await screen.findByRole("heading", { name: finishedJob.name, level: 1 })).toBeInTheDocument();
    expect(within(screen.getByRole("group", { name: "Status" })).getByText("succeeded")).toBeInTheDocument();
    expect(screen.getByText(/Worker: gpu-box/)).toBeInTheDocument();

    // The page asks for everything after seq 0, authenticating first.
    const socket = FakeWebSocket.latest();
    expect(socket.url).toMatch(new RegExp(`/api/ws/jobs/${jobId}\\?after_seq=0$`));
    await act(async () => {
      await Promise.resolve();
    });
    expect(socket.sent[0]).toEqual({ type: "auth", token: "access-1" });
    await act(async () => {
      for (const message of backlog) socket.receive(message);
      socket.receive({ kind: "synced", seq: 9 });
    });

    const timeline = screen.getByRole("list", { name: "Status timeline" });
    expect(within(timeline).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      expect.stringContaining("queued by Alice Martin"),
      expect.stringContaining("started on gpu-box"),
      expect.stringContaining("finished"),
    ]);
    expect(await screen.findByRole("figure", { name: "Loss chart" }, { timeout: 15000 })).toHaveAttribute("data-points", "4");
    expect(screen.getByTestId("step-counter")).toHaveTextContent("Step 4 of 4");
    expect(screen.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute("aria-valuenow", "4");

    const comparison = screen.getByRole("table", { name: "Base model vs fine-tuned" });
    const rouge = within(comparison).getByRole("row", { name: /rouge1/ });
    expect(rouge).toHaveTextContent("0.1");
    expect(rouge).toHaveTextContent("0.4");
    expect(rouge).toHaveTextContent("+0.3");
    expect(screen.getByText("Eval loss").nextSibling).toHaveTextContent("2.05");

    expect(await screen.findByRole("button", { name: "Download adapter_model.safetensors" })).toBeInTheDocument();
    // A finished job can be cloned or deleted, not cancelled or resumed.
    expect(screen.getByRole("link", { name: "Run again with changes" })).toHaveAttribute("href", `/training/new?from=${jobId}`);
    expect(screen.getByRole("button", { name: "Delete" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Resume" })).not.toBeInTheDocument();
  });
});
