import { afterEach, describe, expect, it, vi } from "vitest";
import { ReconnectingSocket } from "@/lib/realtime/socket";
import {
  applyEvents,
  etaSeconds,
  initialJobStream,
  runSeconds,
  series,
  stepLine,
  stepRate,
  type StreamEvent,
} from "../lib/job-stream";
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
    expect(state.logs.map((l) => l.text)).toEqual([
      "status: queued — queued by Ada",
      "eval at step 10 · eval loss 2.5",
      "evaluation finished",
      "slow tokenizer",
    ]);
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

  it("on 4401 (session ended or token expired) refreshes first, reconnects with the new token, and stops if that fails", async () => {
    vi.useFakeTimers();
    installFakeWebSocket();
    let token = "access-old";
    const refreshes: boolean[] = [true, false];
    const states: (string | undefined)[] = [];
    new ReconnectingSocket({
      url: () => "ws://test/api/ws/teams/t1",
      getToken: () => token,
      refresh: async () => {
        const ok = refreshes.shift() ?? false;
        if (ok) token = "access-new";
        return ok;
      },
      onMessage: () => {},
      onStateChange: (s, detail) => states.push(detail ?? s),
    }).start();
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeWebSocket.latest();
    first.receive({ kind: "synced" });
    // The server ends the socket at token expiry: never reconnect with the old token.
    first.drop(4401, "Your session ended; sign in again.");
    await vi.advanceTimersByTimeAsync(0);
    const second = FakeWebSocket.latest();
    expect(second).not.toBe(first);
    expect(second.sent).toEqual([{ type: "auth", token: "access-new" }]);
    second.receive({ kind: "synced" });
    // Revoked (password changed elsewhere): the refresh fails too, so it stops and says why.
    second.drop(4401, "Your session ended; sign in again.");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(states[states.length - 1]).toBe("Sign in again to see live updates.");
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

function phase(seq: number, name: string, label: string, done?: number, total?: number, unit?: string): StreamEvent {
  return { seq, type: "phase", attempt: 1, data: { type: "phase", name, label, done, total, unit } };
}

describe("phases, step lines and run time", () => {
  it("keeps the current phase with its progress, logs each new one, and clears it when the run ends", () => {
    let state = applyEvents(initialJobStream(), [
      { seq: 1, type: "status", attempt: 1, data: { status: "running", attempt: 1 } },
      phase(2, "loading_model", "Loading the base model tiny-llama"),
      phase(3, "tokenizing", "Tokenising 120 rows", 0, 120, "rows"),
    ]);
    expect(state.phase).toMatchObject({ name: "tokenizing", label: "Tokenising 120 rows", done: 0, total: 120, unit: "rows" });
    state = applyEvents(state, [phase(4, "tokenizing", "Tokenising 120 rows", 120, 120, "rows")]);
    expect(state.phase?.done).toBe(120);
    state = applyEvents(state, [
      phase(5, "training", "Training", 0, 30, "steps"),
      phase(6, "evaluating", "Generating the fine-tuned model's answers", 0, 16, "samples"),
      phase(7, "evaluating", "Generating the fine-tuned model's answers", 8, 16, "samples"),
    ]);
    expect(state.phase).toMatchObject({ name: "evaluating", done: 8, total: 16 });
    // One line per phase as it starts (training has its own step lines), none per progress update.
    expect(state.logs.map((l) => l.text)).toEqual([
      "status: running",
      "Loading the base model tiny-llama…",
      "Tokenising 120 rows…",
      "Generating the fine-tuned model's answers…",
    ]);
    const ended = applyEvents(state, [{ seq: 8, type: "finished", attempt: 1, data: { steps: 30 } }]);
    expect(ended.phase).toBeNull();
    const requeued = applyEvents(state, [{ seq: 8, type: "status", attempt: 1, data: { status: "interrupted" } }]);
    expect(requeued.phase).toBeNull();
  });

  it("puts a step line in the log at most once a second of the trainer's clock, and always the last step", () => {
    const times = [100, 100.3, 100.6, 101.0, 101.2, 101.9, 102.1, 102.2];
    const events: StreamEvent[] = times.map((time, i) => ({
      seq: i + 1,
      type: "metric",
      attempt: 1,
      data: { type: "metric", step: i + 1, max_steps: times.length, loss: 2 - i * 0.1, learning_rate: 2e-4, time },
    }));
    const state = applyEvents(initialJobStream(), events);
    expect(state.logs.map((l) => l.text)).toEqual([
      "step 1/8 · loss 2 · lr 2e-4",
      "step 4/8 · loss 1.7 · lr 2e-4",
      "step 7/8 · loss 1.4 · lr 2e-4",
      "step 8/8 · loss 1.3 · lr 2e-4",
    ]);
    expect(stepLine({ step: 3, max_steps: 10, loss: 0.69314, learning_rate: 1.5e-5, "rewards/accuracies": 0.75 })).toBe(
      "step 3/10 · loss 0.6931 · lr 1.5e-5 · reward acc 0.75",
    );
  });

  it("keeps a method's own metrics, and leaves the final language-model loss out of a DPO loss series", () => {
    const state = applyEvents(initialJobStream(), [
      { seq: 1, type: "metric", attempt: 1, data: { step: 5, loss: 0.69, "rewards/margins": 0.1, "rewards/accuracies": 0.5 } },
      { seq: 2, type: "eval", attempt: 1, data: { step: 5, eval_loss: 0.68, "rewards/accuracies": 0.6 } },
      { seq: 3, type: "eval", attempt: 1, data: { step: 5, final: true, method: "dpo", eval_loss: 2.9, fine_tuned: { bleu: 0.2 } } },
    ]);
    expect(series(state.metrics)[0]!.extra).toEqual({ "rewards/margins": 0.1, "rewards/accuracies": 0.5 });
    expect(series(state.evals).map((p) => [p.eval_loss, p.extra["rewards/accuracies"]])).toEqual([[0.68, 0.6]]);
    expect(state.finalEval?.eval_loss).toBe(2.9);
  });

  it("counts run time over the running intervals only, not the time a job sat cancelled", () => {
    const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 1, 0, s)).toISOString();
    const entry = (seq: number, status: string, s: number) => ({
      seq, status, message: null, hint: null, attempt: 1, worker: null, at: at(s),
    });
    const statuses = [
      entry(1, "queued", 0),
      entry(2, "running", 2),
      entry(3, "cancelling", 30),
      entry(4, "cancelled", 32),
      entry(5, "queued", 120), // resumed 88 s later
      entry(6, "running", 121),
      entry(7, "succeeded", 151),
    ];
    expect(runSeconds(statuses)).toBe(60);
    // Still running: the open interval counts up to now.
    expect(runSeconds(statuses.slice(0, 2), Date.parse(at(12)))).toBe(10);
    expect(runSeconds([{ ...entry(1, "running", 0), at: null }])).toBeNull();
  });
});
