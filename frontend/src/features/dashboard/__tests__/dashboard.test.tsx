import { act, screen, within } from "@testing-library/react";
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
          days: 30,
          total_jobs: 7,
          by_status: { succeeded: 5, failed: 1, running: 1 },
          by_method: { sft: 6, dpo: 1 },
          per_day: [{ day: "2026-11-22", jobs: 7, succeeded: 5, failed: 1 }],
          gpu_hours: 1.5,
          cost_usd: 2.25,
        }),
      [`GET /api/teams/${teamId}/jobs`]: () =>
        json({
          items: [{ id: "j1", team_id: teamId, name: "live one", status: "running", step, total_steps: 50, latest_metrics: {} }],
          total: 1,
        }),
    });
    renderApp("/dashboard");

    expect(await screen.findByText("GPU hours")).toBeInTheDocument();
    expect(screen.getByText("1.50")).toBeInTheDocument();
    expect(screen.getByText("$2.25")).toBeInTheDocument();
    expect(within(screen.getByRole("list", { name: "Jobs by method" })).getByText("SFT: 6")).toBeInTheDocument();
    expect(within(screen.getByRole("list", { name: "Jobs by status" })).getByText("failed: 1")).toBeInTheDocument();
    expect(await screen.findByText("Step 5 of 50")).toBeInTheDocument();
    expect(screen.getByText(/RTX 4090 \(cuda\)/)).toBeInTheDocument();
    expect(screen.getByText("Workers connected").nextSibling).toHaveTextContent("1");

    step = 30;
    expect(FeedSocket.last?.url).toMatch(new RegExp(`/api/ws/teams/${teamId}$`));
    await act(async () => FeedSocket.last?.onmessage?.({ data: JSON.stringify({ kind: "job", job_id: "j1", status: "running" }) }));
    expect(await screen.findByText("Step 30 of 50")).toBeInTheDocument();
  });
});
