import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const teamId = alice.teams[0]!.id;

// The team feed's WebSocket: the test pushes "a job changed" through it.
class FeedSocket {
  static last: FeedSocket | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FeedSocket.last = this;
  }
  send() {}
  close() {}
}

describe("the dashboard", () => {
  it("shows the team's analytics, running jobs and workers, and refreshes on job changes", async () => {
    vi.stubGlobal("WebSocket", FeedSocket);
    startSession(tokenPair(1));
    let step = 5;
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      "GET /api/info": () =>
        json({
          version: "0.1.0",
          methods: [{ name: "sft" }],
          adapters: [{ name: "lora" }],
          providers: [],
          executors: [{ name: "local" }],
          base_models: [],
          presets: {},
          workers: [
            { name: "gpu-box", hostname: "gpu-box", executors: ["local"], devices: [{ name: "RTX 4090", type: "cuda" }], max_concurrent_jobs: 2, version: "0.1.0", last_seen_at: "2026-11-22T01:00:00Z" },
          ],
        }),
      [`GET /api/teams/${teamId}/analytics`]: () =>
        json({
          ...emptyAnalytics,
          total_jobs: 7,
          by_status: { succeeded: 5, failed: 1, running: 1 },
          per_day: [{ day: "2026-11-22", total: 7, by_status: { succeeded: 5, failed: 1, running: 1 } }],
          gpu_hours: 1.5,
          cpu_hours: 0.25,
          cost_usd: 2.25,
        }),
      [`GET /api/teams/${teamId}/jobs`]: () =>
        json({
          items: [{ id: "j1", team_id: teamId, name: "live one", status: "running", step, total_steps: 50, latest_metrics: {} }],
          total: 1,
        }),
    });
    renderApp("/dashboard");

    expect(await screen.findByText("Compute hours")).toBeInTheDocument();
    expect(screen.getByText("1.75")).toBeInTheDocument();
    expect(screen.getByText("GPU 1.50 · CPU 0.25")).toBeInTheDocument();
    expect(screen.getByText("$2.25")).toBeInTheDocument();
    expect(await screen.findByText("Step 5 of 50")).toBeInTheDocument();
    expect(screen.getByText(/RTX 4090 \(cuda\)/)).toBeInTheDocument();
    expect(screen.getByText("Workers connected").nextSibling).toHaveTextContent("1");

    step = 30;
    expect(FeedSocket.last?.url).toMatch(new RegExp(`/api/ws/teams/${teamId}$`));
    await act(async () => FeedSocket.last?.onmessage?.({ data: JSON.stringify({ kind: "job", job_id: "j1", status: "running" }) }));
    expect(await screen.findByText("Step 30 of 50")).toBeInTheDocument();
  });
});

const counts = { total: 0, created: 0 };
const emptyAnalytics = {
  from: "2026-10-24",
  to: "2026-11-22",
  inventory: { datasets: counts, dataset_versions: counts, models: counts, model_versions: counts },
  total_jobs: 0,
  by_status: {},
  per_day: [],
  gpu_hours: 0,
  cpu_hours: 0,
  cost_usd: 0,
  compute_by_method: [],
  compute_by_member: [],
  modal_cost_by_month: [],
  modal_budget_usd: null,
  success_rate: null,
  failure_causes: [],
  median_queue_wait_s: null,
  median_run_time_s: null,
  loss_by_method: [],
  recent_jobs: [],
};

const cpuWorkerInfo = {
  version: "0.1.0",
  methods: [{ name: "sft" }],
  adapters: [{ name: "lora" }],
  providers: [],
  executors: [{ name: "local" }],
  base_models: [],
  presets: {},
  workers: [],
};

function dataset(usable: boolean) {
  return {
    id: "d1",
    team_id: teamId,
    name: "sums",
    description: "",
    archived: false,
    created_at: "2026-11-22T01:00:00Z",
    created_by: null,
    latest_version: { id: "v1", number: 1, usable, status: usable ? "ready" : "failed" },
  };
}

/** A team's dashboard against a fake API holding these datasets and jobs (by status). */
function openDashboard({ datasets = [] as unknown[], jobs = {} as Record<string, number>, analytics = emptyAnalytics } = {}) {
  vi.stubGlobal("WebSocket", FeedSocket);
  startSession(tokenPair(1));
  const api = installFakeApi({
    "GET /api/auth/me": () => json(alice),
    "GET /api/info": () => json(cpuWorkerInfo),
    [`GET /api/teams/${teamId}/analytics`]: () => json(analytics),
    [`GET /api/teams/${teamId}/datasets`]: () => json(datasets),
    [`GET /api/teams/${teamId}/jobs`]: (call) => {
      const statuses = call.query.status?.split(",") ?? Object.keys(jobs);
      const total = statuses.reduce((sum, status) => sum + (jobs[status] ?? 0), 0);
      return json({ items: [], total });
    },
  });
  return { ...renderApp("/dashboard"), api };
}

describe("the dashboard of a new team", () => {
  it("shows the getting-started path in order, starting with data, and says the charts are empty", async () => {
    openDashboard();

    const path = await screen.findByRole("list", { name: "Getting started" });
    const steps = within(path).getAllByRole("listitem");
    expect(steps.map((step) => step.querySelector("p")?.firstChild?.textContent)).toEqual([
      "Upload training data",
      "Train a model",
      "Try the model",
      "Publish it",
    ]);
    expect(steps[0]).toHaveAttribute("aria-current", "step");
    expect(within(steps[0]!).getByRole("link", { name: "Upload a dataset" })).toHaveAttribute("href", "/datasets");
    // Training is not offered before there is data to train on.
    expect(within(steps[1]!).queryByRole("link", { name: "Start a training job" })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Start a training job" })).not.toBeInTheDocument();
    expect(screen.getByText(/Training needs data first/)).toBeInTheDocument();
    // The model steps are honest: not built yet, never ticked.
    for (const step of steps.slice(2)) {
      expect(within(step).getByText("coming with model versions")).toBeInTheDocument();
      expect(within(step).getByRole("link", { name: "Models" })).toHaveAttribute("href", "/models");
      expect(within(step).queryByText("done")).not.toBeInTheDocument();
    }

    expect(await screen.findByText("No jobs from 2026-10-24 to 2026-11-22.", { exact: false })).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Jobs per day" })).not.toBeInTheDocument();
    expect(screen.queryByText("GPU hours")).not.toBeInTheDocument();
    expect(screen.getByText("GPU 0.00 · CPU 0.00")).toBeInTheDocument();
  });

  it("ticks steps off from the team's real state", async () => {
    openDashboard({ datasets: [dataset(true)], jobs: { running: 1 } });

    const path = await screen.findByRole("list", { name: "Getting started" });
    const steps = within(path).getAllByRole("listitem");
    await waitFor(() => expect(within(steps[0]!).getByText("done")).toBeInTheDocument());
    expect(within(steps[1]!).getByText("in progress")).toBeInTheDocument();
    expect(within(steps[1]!).getByRole("link", { name: "Training" })).toHaveAttribute("href", "/training");
    expect(within(steps[2]!).queryByText("done")).not.toBeInTheDocument();
  });

  it("offers training once a usable dataset exists; an unusable one does not count", async () => {
    openDashboard({ datasets: [dataset(false)] });
    let steps = within(await screen.findByRole("list", { name: "Getting started" })).getAllByRole("listitem");
    expect(steps[0]).toHaveAttribute("aria-current", "step");
    cleanup();

    openDashboard({ datasets: [dataset(true)] });
    steps = within(await screen.findByRole("list", { name: "Getting started" })).getAllByRole("listitem");
    expect(steps[1]).toHaveAttribute("aria-current", "step");
    expect(within(steps[1]!).getByRole("link", { name: "Start a training job" })).toHaveAttribute("href", "/training/new");
  });

  it("leaves once the team has data and a finished job", async () => {
    const { api } = openDashboard({ datasets: [dataset(true)], jobs: { succeeded: 2 } });
    expect(await screen.findByText("Compute hours")).toBeInTheDocument();
    await waitFor(() =>
      expect(api.callsTo("GET", `/api/teams/${teamId}/jobs`).filter((c) => c.query.status === "succeeded")).toHaveLength(1),
    );
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(screen.queryByRole("list", { name: "Getting started" })).not.toBeInTheDocument();
  });
});
