import { act, screen, waitFor, within } from "@testing-library/react";
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
  { ...event(2, "status", { status: "running", message: "started on gpu-box", worker: "gpu-box", attempt: 1 }), created_at: "2026-11-22T01:00:01Z" },
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
  { ...event(9, "status", { status: "succeeded", message: "finished" }), created_at: "2026-11-22T01:01:31Z" },
];

function signedIn(job: object = finishedJob) {
  startSession(tokenPair(1));
  return installFakeApi({
    "GET /api/auth/me": () => json(alice),
    [`GET /api/jobs/${jobId}`]: () => json(job),
    [`GET /api/jobs/${jobId}/artifacts`]: () =>
      json([
        { path: "adapter_model.safetensors", size_bytes: 134616 },
        { path: "adapter_config.json", size_bytes: 1188 },
        { path: "checkpoints/checkpoint-2/optimizer.pt", size_bytes: 269000 },
        { path: "checkpoints/checkpoint-2/rng_state.pth", size_bytes: 14000 },
      ]),
    [`GET /api/jobs/${jobId}/artifacts/evaluation.json`]: () =>
      json({
        summary: {},
        samples: [
          {
            prompt: [{ role: "user", content: "What is 2 plus 3?" }],
            reference: "5",
            base: "It is 4",
            fine_tuned: "5",
            scores: { base: { token_f1: 0 }, fine_tuned: { token_f1: 1 } },
          },
        ],
      }),
  });
}

describe("the job page", () => {
  it("says how many devices a job trains on when it is more than one", async () => {
    installFakeWebSocket();
    signedIn({ ...finishedJob, config: { ...finishedJob.config, devices: 2 } });
    renderApp(`/training/${jobId}`);
    expect(await screen.findByText(/Worker: gpu-box · on 2 devices/)).toBeInTheDocument();
  });

  it("shows a finished job's whole history from the event stream", async () => {
    installFakeWebSocket();
    signedIn();
    renderApp(`/training/${jobId}`);

    expect(await screen.findByRole("heading", { name: finishedJob.name, level: 1 })).toBeInTheDocument();
    expect(within(screen.getByRole("group", { name: "Status" })).getByText("succeeded")).toBeInTheDocument();
    expect(screen.getByText(/Worker: gpu-box/)).toBeInTheDocument();

    // The page asks for everything after seq 0, authenticating first.
    // The job's own socket (the app shell also keeps the team feed open, for job notifications).
    const socket = FakeWebSocket.instances.filter((s) => s.url.includes("/api/ws/jobs/")).at(-1)!;
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
    // Checkpoints apart and collapsed; the result downloads as one zip.
    expect(screen.getByText("Checkpoints (1)")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Download checkpoints/checkpoint-2/optimizer.pt" })).not.toBeVisible();
    expect(screen.getByRole("button", { name: "Download all (.zip)" })).toBeInTheDocument();
    // The sample answers of evaluation.json, side by side.
    const sample = within(await screen.findByRole("list", { name: "Sample answers" })).getByRole("listitem", { name: "Sample 1" });
    expect(sample).toHaveTextContent("What is 2 plus 3?");
    expect(within(sample).getByTestId("sample-base")).toHaveTextContent("It is 4");
    // Run time counts the running interval; wall time is launch to end.
    expect(screen.getByTestId("job-time")).toHaveTextContent("Run time 1 min 30 s · wall time 1 min 31 s");
    expect(screen.queryByTestId("job-phase")).not.toBeInTheDocument();
    // A finished job can be cloned or deleted, not cancelled or resumed.
    expect(screen.getByRole("link", { name: "Run again with changes" })).toHaveAttribute("href", `/training/new?from=${jobId}`);
    expect(screen.getByRole("button", { name: "Delete" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Resume" })).not.toBeInTheDocument();
  });
});

describe("a running job's page", () => {
  const runningJob = { ...finishedJob, status: "running", step: 0, total_steps: 30, finished_at: null, message: null };

  it("shows what the run is doing now with its own progress, and asks before cancelling", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/jobs/${jobId}`]: () => json(runningJob),
      [`GET /api/jobs/${jobId}/artifacts`]: () => json([]),
      [`POST /api/jobs/${jobId}/cancel`]: () => json({ ...runningJob, status: "cancelling" }),
    });
    const { user } = renderApp(`/training/${jobId}`);
    expect(await screen.findByRole("heading", { name: finishedJob.name, level: 1 })).toBeInTheDocument();
    const socket = FakeWebSocket.instances.filter((s) => s.url.includes("/api/ws/jobs/")).at(-1)!;
    await act(async () => {
      await Promise.resolve();
    });
    await act(async () => {
      socket.receive(event(1, "status", { status: "running", attempt: 1 }));
      socket.receive(event(2, "phase", { name: "loading_model", label: "Loading the base model tiny-llama" }));
      socket.receive(event(3, "phase", { name: "tokenizing", label: "Tokenising 120 rows", done: 60, total: 120, unit: "rows" }));
      socket.receive({ kind: "synced", seq: 3 });
    });
    const phase = screen.getByTestId("job-phase");
    expect(phase).toHaveTextContent("Tokenising 120 rows");
    expect(phase).toHaveTextContent("60 of 120 rows");
    expect(within(phase).getByRole("progressbar", { name: "Current phase" })).toHaveAttribute("aria-valuenow", "60");
    expect(screen.getByTestId("step-counter")).toHaveTextContent("Step 0 of 30");
    expect(within(screen.getByRole("log", { name: "Job log" })).getByText("Loading the base model tiny-llama…")).toBeInTheDocument();

    await act(async () => {
      socket.receive(event(4, "phase", { name: "evaluating", label: "Generating the fine-tuned model's answers", done: 3, total: 16, unit: "samples" }));
    });
    // Live events are folded in small batches: wait for the next one.
    await waitFor(() =>
      expect(screen.getByTestId("job-phase")).toHaveTextContent("Generating the fine-tuned model's answers3 of 16 samples"),
    );

    // Cancel asks first; keeping it running sends nothing.
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    const dialog = screen.getByRole("alertdialog", { name: "Confirm cancel" });
    expect(dialog).toHaveTextContent("Cancel this job? It saves a checkpoint you can resume from.");
    await user.click(within(dialog).getByRole("button", { name: "Don't cancel" }));
    expect(screen.queryByRole("alertdialog", { name: "Confirm cancel" })).not.toBeInTheDocument();
    expect(api.callsTo("POST", `/api/jobs/${jobId}/cancel`)).toHaveLength(0);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(screen.getByRole("button", { name: "Cancel job" }));
    expect(api.callsTo("POST", `/api/jobs/${jobId}/cancel`)).toHaveLength(1);

    await act(async () => {
      socket.receive(event(5, "finished", { steps: 30 }));
    });
    await waitFor(() => expect(screen.queryByTestId("job-phase")).not.toBeInTheDocument());
  });
});
