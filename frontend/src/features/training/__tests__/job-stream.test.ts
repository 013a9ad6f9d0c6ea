import { afterEach, describe, expect, it, vi } from "vitest";
import { ReconnectingSocket } from "@/lib/realtime/socket";
import { applyEvents, etaSeconds, initialJobStream, series, stepRate, type StreamEvent } from "../lib/job-stream";
import { FakeWebSocket, installFakeWebSocket } from "./fake-socket";

function metric(seq: number, step: number, loss: number, attempt = 1, time = 1000 + step): StreamEvent {
  return { seq, type: "metric", attempt, data: { type: "metric", step, loss, time, max_steps: 10 } };
}

describe("the job event stream", () => {
  it("ignores events it already has (dedupe by seq), in and across batches", () => {
    let state = applyEvents(initialJobStream(), [metric(1, 1, 5), metric(2, 2, 4), metric(2, 2, 4)]);
    expect(state.lastSeq).toBe(2);
    const again = applyEvents(state, [metric(1, 1, 5), metric(2, 2, 4)]);
    expect(again).toBe(state); // nothing new: the same object, no re-render
    state = applyEvents(state, [metric(2, 2, 4), metric(3, 3, 3)]);
    expect(series(state.metrics).map((p) => p.step)).toEqual([1, 2, 3]);
    expect(state.lastSeq).toBe(3);
  });

  it("applies events in seq order even when a batch arrives shuffled", () => {
    const state = applyEvents(initialJobStream(), [metric(3, 3, 3), metric(1, 1, 5), metric(2, 2, 4)]);
    expect(state.lastSeq).toBe(3);
    expect(series(state.metrics).map((p) => p.loss)).toEqual([5, 4, 3]);
  });

  it("keeps the latest attempt's value per step after a resume", () => {
    let state = applyEvents(initialJobStream(), [metric(1, 1, 5, 1), metric(2, 2, 4, 1), metric(3, 3, 3.5, 1)]);
    // The worker died; attempt 2 resumed from the checkpoint at step 2 and repeats step 3.
    state = applyEvents(state, [
      { seq: 4, type: "status", attempt: 2, data: { status: "running", attempt: 2, worker: "w2" } },
      metric(5, 3, 3.1, 2),
      metric(6, 4, 2.9, 2),
    ]);
    const points = series(state.metrics);
    expect(points.map((p) => [p.step, p.loss, p.attempt])).toEqual([
      [1, 5, 1],
      [2, 4, 1],
      [3, 3.1, 2],
      [4, 2.9, 2],
    ]);
    expect(state.statuses.map((s) => [s.status, s.attempt, s.worker])).toEqual([["running", 2, "w2"]]);
  });

  it("collects eval losses, the final evaluation and a log of what happened", () => {
    const state = applyEvents(initialJobStream(), [
      { seq: 1, type: "status", attempt: 0, data: { status: "queued", message: "queued by Ada" } },
      { seq: 2, type: "eval", attempt: 1, data: { step: 10, eval_loss: 2.5 } },
      { seq: 3, type: "eval", attempt: 1, data: { step: 10, eval_loss: 2.4, final: true, base: { bleu: 0.1 }, fine_tuned: { bleu: 0.3 } } },
      { seq: 4, type: "log", attempt: 1, data: { level: "warning", message: "slow tokenizer" } },
      { seq: 5, type: "finished", attempt: 1, data: { steps: 10 } },
    ]);
    expect(series(state.evals).map((p) => p.eval_loss)).toEqual([2.4]);
    expect(state.finalEval?.fine_tuned).toEqual({ bleu: 0.3 });
    expect(state.finished).toEqual({ steps: 10 });
    expect(state.logs.map((l) => l.text)).toEqual(["status: queued — queued by Ada", "slow tokenizer"]);
  });

  it("estimates the time left from the recent step rate of the latest attempt", () => {
    const state = applyEvents(initialJobStream(), [
      metric(1, 1, 5, 1, 100),
      metric(2, 2, 5, 1, 200), // attempt 1 was slow
      metric(3, 2, 5, 2, 1000),
      metric(4, 3, 5, 2, 1002),
      metric(5, 4, 5, 2, 1004),
    ]);
    const rate = stepRate(series(state.metrics));
    expect(rate).toBeCloseTo(0.5);
    expect(etaSeconds(4, 10, rate)).toBeCloseTo(12);
    expect(etaSeconds(10, 10, rate)).toBeNull();
  });
});

describe("the reconnecting socket", () => {
  afterEach(() => vi.useRealTimers());

  it("authenticates first, then resumes from the last seq after a dropped connection", async () => {
    vi.useFakeTimers();
    installFakeWebSocket();
    let state = initialJobStream();
    const socket = new ReconnectingSocket({
      url: () => `ws://test/api/ws/jobs/j1?after_seq=${state.lastSeq}`,
      getToken: () => "access-1",
      backoff: () => 1_000,
      onMessage: (message) => {
        if (message.kind === "event") state = applyEvents(state, [message as unknown as StreamEvent]);
      },
    }).start();
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeWebSocket.latest();
    expect(first.url).toBe("ws://test/api/ws/jobs/j1?after_seq=0");
    expect(first.sent).toEqual([{ type: "auth", token: "access-1" }]);
    first.receive({ kind: "event", ...metric(1, 1, 5) });
    first.receive({ kind: "event", ...metric(2, 2, 4) });
    first.drop(1006);

    // Not at once: after the backoff.
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    const second = FakeWebSocket.latest();
    expect(second).not.toBe(first);
    expect(second.url).toBe("ws://test/api/ws/jobs/j1?after_seq=2");
    // A server that replays an event is harmless.
    second.receive({ kind: "event", ...metric(2, 2, 4) });
    second.receive({ kind: "event", ...metric(3, 3, 3) });
    expect(series(state.metrics).map((p) => p.step)).toEqual([1, 2, 3]);
    socket.stop();
    expect(second.closed).toBe(true);
  });

  it("stops for good on 4404 (no such job)", async () => {
    vi.useFakeTimers();
    installFakeWebSocket();
    const states: string[] = [];
    new ReconnectingSocket({
      url: () => "ws://test/x",
      getToken: () => "t",
      onMessage: () => {},
      onStateChange: (s) => states.push(s),
    }).start();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.latest().drop(4404, "No such job");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(states[states.length - 1]).toBe("closed");
  });
});
