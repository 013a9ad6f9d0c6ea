import { act, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { LogPanel } from "../components/LogPanel";
import type { LogLine } from "../lib/job-stream";
import { FakeWebSocket, installFakeWebSocket } from "./fake-socket";

const teamId = alice.teams[0]!.id;

describe("the log panel", () => {
  it("keeps only the lines in view in the page, however long the log", () => {
    const lines: LogLine[] = Array.from({ length: 5_000 }, (_, i) => ({
      seq: i + 1,
      level: "info",
      text: `line ${i + 1}`,
      at: null,
    }));
    render(<LogPanel lines={lines} />);
    const log = screen.getByRole("log", { name: "Job log" });
    expect(screen.getByText("5,000 lines")).toBeInTheDocument();
    expect(within(log).getAllByRole("listitem").length).toBeLessThan(60);
    expect(screen.getByRole("button", { name: "Pause auto-scroll" })).toHaveAttribute("aria-pressed", "true");
  });
});

function job(id: string, status: string, step: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    team_id: teamId,
    name: `job ${id}`,
    status,
    method: "sft",
    adapter: "lora",
    base_model: "tiny-llama",
    executor: "local",
    worker_name: "gpu-box",
    step,
    total_steps: 100,
    latest_metrics: { step_time_s: 0.5 },
    created_by: alice.id,
    created_by_name: "Alice Martin",
    created_at: "2026-11-22T01:00:00Z",
    ...extra,
  };
}

describe("the jobs list", () => {
  it("filters by status, method and member, and refetches when the team feed reports a change", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    let step = 10;
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [job("a", "running", step), job("b", "succeeded", 100)], total: 2 }),
    });
    const { user } = renderApp("/training");

    expect(await screen.findByRole("link", { name: "job a" })).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Progress of job a" })).toHaveAttribute("aria-valuenow", "10");
    expect(screen.getByText("ETA 45 s")).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Status"), "running");
    await user.selectOptions(screen.getByLabelText("Method"), "dpo");
    await user.selectOptions(screen.getByLabelText("Member"), "Alice Martin");
    const last = api.callsTo("GET", `/api/teams/${teamId}/jobs`).at(-1)!;
    expect(last.query).toEqual({ status: "running", method: "dpo", created_by: alice.id });

    // The team feed says a job changed: the list is fetched again and shows the new step.
    const feed = FakeWebSocket.instances.find((s) => s.url.endsWith(`/api/ws/teams/${teamId}`))!;
    expect(feed).toBeDefined();
    step = 55;
    const before = api.callsTo("GET", `/api/teams/${teamId}/jobs`).length;
    await act(async () => feed.receive({ kind: "job", job_id: "a", status: "running" }));
    expect(await screen.findByText("Step 55 of 100")).toBeInTheDocument();
    expect(api.callsTo("GET", `/api/teams/${teamId}/jobs`).length).toBeGreaterThan(before);
  });
});
