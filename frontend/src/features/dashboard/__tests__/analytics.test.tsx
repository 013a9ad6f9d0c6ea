import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { lastDays } from "../api/get-analytics";
import { describePeriod } from "../components/AnalyticsPanel";

const teamId = alice.teams[0]!.id;
const carol = "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5";

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

const counts = (total: number, created: number) => ({ total, created });

function analytics(recentStatus = "running") {
  return {
    from: "2026-03-01",
    to: "2026-03-10",
    inventory: { datasets: counts(2, 1), dataset_versions: counts(3, 1), models: counts(1, 0), model_versions: counts(4, 2) },
    total_jobs: 9,
    by_status: { succeeded: 2, failed: 4, cancelled: 1, interrupted: 1, queued: 1 },
    per_day: [
      { day: "2026-03-02", total: 2, by_status: { succeeded: 2 } },
      { day: "2026-03-03", total: 2, by_status: { failed: 2 } },
      { day: "2026-03-04", total: 0, by_status: {} },
    ],
    gpu_hours: 2.25,
    cpu_hours: 2,
    cost_usd: 0.5,
    compute_by_method: [
      { method: "dpo", jobs: 2, gpu_hours: 0.25, cpu_hours: 0 },
      { method: "sft", jobs: 7, gpu_hours: 2, cpu_hours: 2 },
    ],
    compute_by_member: [
      { user_id: alice.id, name: "Alice Martin", jobs: 8, gpu_hours: 2.25, cpu_hours: 0 },
      { user_id: carol, name: "Carol", jobs: 1, gpu_hours: 0, cpu_hours: 2 },
    ],
    modal_cost_by_month: [{ month: "2026-03-01", cost_usd: 0.5, budget_usd: 20 }],
    modal_budget_usd: 20,
    success_rate: 0.2857,
    failure_causes: [
      { cause: "out_of_memory", jobs: 1, examples: [{ id: "job-oom", name: "big batch" }] },
      { cause: "cancelled", jobs: 1, examples: [{ id: "job-c", name: "stopped" }] },
    ],
    median_queue_wait_s: 360,
    median_run_time_s: 3600,
    loss_by_method: [{ method: "sft", jobs: 2, median_final_loss: 1.5, mean_final_loss: 1.5, median_eval_loss: 1.25 }],
    recent_jobs: [
      {
        id: "job-live",
        name: "live run",
        status: recentStatus,
        method: "sft",
        created_at: "2026-03-10T09:00:00Z",
        started_at: null,
        finished_at: null,
      },
    ],
  };
}

function openDashboard() {
  vi.stubGlobal("WebSocket", FeedSocket);
  startSession(tokenPair(1));
  const state = { recentStatus: "running" };
  const api = installFakeApi({
    "GET /api/auth/me": () => json(alice),
    "GET /api/info": () => json({ version: "0.1.0", methods: [], adapters: [], providers: [], executors: [], base_models: [], presets: {}, workers: [] }),
    [`GET /api/teams/${teamId}/analytics`]: () => json(analytics(state.recentStatus)),
    [`GET /api/teams/${teamId}/analytics.csv`]: () => new Response("cause,jobs\n", { headers: { "Content-Type": "text/csv" } }),
    [`GET /api/teams/${teamId}/datasets`]: () => json([]),
    [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 1 }),
  });
  renderApp("/dashboard");
  return { api, state };
}

const card = (title: string) => screen.getByRole("region", { name: title });

afterEach(() => vi.unstubAllGlobals());

describe("the analytics dashboard", () => {
  it("shows the tiles and every chart's numbers as a table", async () => {
    openDashboard();
    const user = userEvent.setup();

    expect(await screen.findByText("Success rate")).toBeInTheDocument();
    expect(screen.getByText("Success rate").nextSibling).toHaveTextContent("29%");
    expect(screen.getByText("Median queue wait").nextSibling).toHaveTextContent("6.0 min");
    expect(screen.getByText("Median run time").nextSibling).toHaveTextContent("60.0 min");
    expect(screen.getByText("budget $20.00 a month")).toBeInTheDocument();

    const members = card("Compute hours by member");
    expect(within(members).queryByRole("table")).not.toBeInTheDocument();
    await user.click(within(members).getByRole("button", { name: "Table of Compute hours by member" }));
    expect(within(members).getByRole("button", { name: "Table of Compute hours by member" })).toHaveAttribute("aria-pressed", "true");
    const carolRow = within(within(members).getByRole("table", { name: "Compute hours by member" })).getByRole("row", { name: /Carol/ });
    expect(within(carolRow).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["1", "0.00", "2.00"]);

    const perDay = card("Jobs per day");
    await user.click(within(perDay).getByRole("button", { name: "Table of Jobs per day" }));
    const rows = within(within(perDay).getByRole("table")).getAllByRole("row");
    // days without jobs are left out of the table; statuses are columns
    expect(rows.map((row) => row.textContent)).toEqual(["DayTotalsucceededfailedcancelledinterruptedqueued", "2026-03-02220000", "2026-03-03202000"]);

    const cost = card("Modal cost by month");
    await user.click(within(cost).getByRole("button", { name: "Table of Modal cost by month" }));
    expect(within(cost).getByRole("row", { name: /2026-03/ })).toHaveTextContent("2026-03$0.50$20.00");
  });

  it("links every failure cause to its jobs", async () => {
    openDashboard();
    const causes = await screen.findByRole("list", { name: "Failure causes" });
    const oom = within(causes).getByText("Out of memory: 1").closest("li")!;
    expect(within(oom).getByRole("link", { name: "big batch" })).toHaveAttribute("href", "/training/job-oom");

    await userEvent.click(within(card("Failure causes")).getByRole("button", { name: "Table of Failure causes" }));
    const row = within(card("Failure causes")).getByRole("row", { name: /Cancelled/ });
    expect(within(row).getByRole("link", { name: "stopped" })).toHaveAttribute("href", "/training/job-c");
  });

  it("asks for the period picked, with a preset or with dates", async () => {
    const { api } = openDashboard();
    await screen.findByText("Success rate");
    const thirty = lastDays(30);
    expect(api.callsTo("GET", `/api/teams/${teamId}/analytics`)[0]!.query).toEqual(thirty);

    await userEvent.click(screen.getByRole("button", { name: "Last 7 days" }));
    await waitFor(() =>
      expect(api.callsTo("GET", `/api/teams/${teamId}/analytics`).map((c) => c.query)).toContainEqual(lastDays(7)),
    );
    expect(screen.getByRole("button", { name: "Last 7 days" })).toHaveAttribute("aria-pressed", "true");

    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2026-01-01" } });
    await waitFor(() =>
      expect(api.callsTo("GET", `/api/teams/${teamId}/analytics`).at(-1)!.query).toEqual({ from: "2026-01-01", to: lastDays(7).to }),
    );
  });

  it("downloads a chart's table, or all of them, as CSV", async () => {
    const createObjectURL = vi.fn(() => "blob:analytics");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const { api } = openDashboard();
    await screen.findByText("Success rate");

    await userEvent.click(within(card("Failure causes")).getByRole("button", { name: "Download CSV of Failure causes" }));
    await waitFor(() => expect(api.callsTo("GET", `/api/teams/${teamId}/analytics.csv`)).toHaveLength(1));
    expect(api.callsTo("GET", `/api/teams/${teamId}/analytics.csv`)[0]!.query).toEqual({ ...lastDays(30), table: "failure_causes" });
    await waitFor(() => expect(createObjectURL).toHaveBeenCalledTimes(1));

    await userEvent.click(screen.getByRole("button", { name: "Export all as CSV" }));
    await waitFor(() => expect(api.callsTo("GET", `/api/teams/${teamId}/analytics.csv`)).toHaveLength(2));
    expect(api.callsTo("GET", `/api/teams/${teamId}/analytics.csv`)[1]!.query).toEqual(lastDays(30));
  });

  it("updates the recent jobs live from the team feed", async () => {
    const { api, state } = openDashboard();
    const recent = await screen.findByRole("list", { name: "Recent jobs" });
    expect(within(recent).getByText("running")).toBeInTheDocument();
    const before = api.callsTo("GET", `/api/teams/${teamId}/analytics`).length;

    state.recentStatus = "succeeded";
    await act(async () =>
      FeedSocket.last?.onmessage?.({ data: JSON.stringify({ kind: "job", job_id: "job-live", status: "succeeded" }) }),
    );
    expect(await within(screen.getByRole("list", { name: "Recent jobs" })).findByText("succeeded")).toBeInTheDocument();
    await waitFor(() => expect(api.callsTo("GET", `/api/teams/${teamId}/analytics`).length).toBeGreaterThan(before));
  });
});

describe("the period in words", () => {
  it("says 'the last N days' only for a period that ends today", () => {
    expect(describePeriod("2026-11-23", "2026-12-22", "2026-12-22")).toBe("in the last 30 days");
    expect(describePeriod("2026-12-22", "2026-12-22", "2026-12-22")).toBe("today");
    expect(describePeriod("2026-03-01", "2026-03-10", "2026-12-22")).toBe("from 2026-03-01 to 2026-03-10");
  });
});
