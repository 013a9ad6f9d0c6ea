/**
 * The job page's live state, folded from the job's event stream (`WS /api/ws/jobs/{id}`).
 * Pure: `applyEvents(state, events)` returns a new state and never mutates the old one.
 *
 * - Events are deduplicated by `seq` (a reconnect may overlap what was already received).
 * - After a resume, attempt 2 repeats some steps of attempt 1: per step, the latest attempt wins.
 */
export type StreamEvent = {
  seq: number;
  type: string;
  attempt: number;
  data: Record<string, unknown>;
  created_at?: string;
};

export type MetricPoint = {
  step: number;
  attempt: number;
  time: number | null;
  loss?: number;
  eval_loss?: number;
  learning_rate?: number;
  grad_norm?: number;
  tokens_per_s?: number;
  memory_mb?: number;
  max_steps?: number;
};

export type StatusEntry = {
  seq: number;
  status: string;
  message: string | null;
  hint: string | null;
  attempt: number;
  worker: string | null;
  at: string | null;
};

export type LogLine = { seq: number; level: string; text: string; at: string | null };

export type JobStreamState = {
  lastSeq: number;
  /** Train metrics by step (latest attempt per step). */
  metrics: Map<number, MetricPoint>;
  /** Eval losses by step (latest attempt per step). */
  evals: Map<number, MetricPoint>;
  statuses: StatusEntry[];
  logs: LogLine[];
  /** The last `eval` event with `final: true` (task metrics, base vs fine-tuned). */
  finalEval: Record<string, unknown> | null;
  finished: Record<string, unknown> | null;
  failure: Record<string, unknown> | null;
  started: Record<string, unknown> | null;
  checkpoints: { step: number; path: string; attempt: number }[];
};

// Keeps memory bounded on very long runs; the log panel says when older lines were dropped.
export const MAX_LOG_LINES = 20_000;

export function initialJobStream(): JobStreamState {
  return {
    lastSeq: 0,
    metrics: new Map(),
    evals: new Map(),
    statuses: [],
    logs: [],
    finalEval: null,
    finished: null,
    failure: null,
    started: null,
    checkpoints: [],
  };
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

function putLatest(map: Map<number, MetricPoint>, point: MetricPoint) {
  const existing = map.get(point.step);
  if (!existing || point.attempt >= existing.attempt) map.set(point.step, point);
}

function metricPoint(event: StreamEvent): MetricPoint | null {
  const step = num(event.data.step);
  if (step === undefined) return null;
  return {
    step,
    attempt: event.attempt,
    time: num(event.data.time) ?? null,
    loss: num(event.data.loss),
    eval_loss: num(event.data.eval_loss),
    learning_rate: num(event.data.learning_rate),
    grad_norm: num(event.data.grad_norm),
    tokens_per_s: num(event.data.tokens_per_s),
    memory_mb: num(event.data.memory_mb),
    max_steps: num(event.data.max_steps),
  };
}

function logText(event: StreamEvent): LogLine | null {
  const at = event.created_at ?? null;
  const d = event.data;
  switch (event.type) {
    case "log":
      return { seq: event.seq, level: str(d.level) ?? "info", text: String(d.message ?? ""), at };
    case "status":
      return {
        seq: event.seq,
        level: d.status === "failed" ? "error" : "info",
        text: `status: ${String(d.status)}${str(d.message) ? ` — ${String(d.message)}` : ""}`,
        at,
      };
    case "checkpoint":
      return { seq: event.seq, level: "info", text: `checkpoint saved at step ${String(d.step)}`, at };
    case "failed":
      return { seq: event.seq, level: "error", text: `failed: ${String(d.message ?? d.kind ?? "")}`, at };
    case "started":
      return {
        seq: event.seq,
        level: "info",
        text: `training started on ${String((d.device as Record<string, unknown> | undefined)?.name ?? d.device ?? "?")}`,
        at,
      };
    default:
      return null;
  }
}

export function applyEvents(state: JobStreamState, events: readonly StreamEvent[]): JobStreamState {
  const fresh = events.filter((e) => e.seq > state.lastSeq).sort((a, b) => a.seq - b.seq);
  if (fresh.length === 0) return state;
  const next: JobStreamState = {
    ...state,
    metrics: new Map(state.metrics),
    evals: new Map(state.evals),
    statuses: [...state.statuses],
    logs: [...state.logs],
    checkpoints: [...state.checkpoints],
  };
  let lastSeq = state.lastSeq;
  for (const event of fresh) {
    if (event.seq <= lastSeq) continue; // a duplicate inside the batch
    lastSeq = event.seq;
    const d = event.data;
    switch (event.type) {
      case "metric": {
        const point = metricPoint(event);
        if (point) putLatest(next.metrics, point);
        break;
      }
      case "eval": {
        const point = metricPoint(event);
        if (point && point.eval_loss !== undefined) putLatest(next.evals, point);
        if (d.final === true || d.fine_tuned !== undefined) next.finalEval = d;
        break;
      }
      case "status":
        next.statuses.push({
          seq: event.seq,
          status: String(d.status ?? "unknown"),
          message: str(d.message),
          hint: str(d.hint),
          attempt: num(d.attempt) ?? event.attempt,
          worker: str(d.worker),
          at: event.created_at ?? null,
        });
        if (d.status === "running") {
          next.failure = null;
          next.finished = null;
        }
        break;
      case "started":
        next.started = d;
        break;
      case "checkpoint":
        next.checkpoints.push({ step: num(d.step) ?? 0, path: String(d.path ?? ""), attempt: event.attempt });
        break;
      case "finished":
        next.finished = d;
        break;
      case "failed":
        next.failure = d;
        break;
    }
    const line = logText(event);
    if (line) next.logs.push(line);
  }
  if (next.logs.length > MAX_LOG_LINES) next.logs = next.logs.slice(next.logs.length - MAX_LOG_LINES);
  next.lastSeq = lastSeq;
  return next;
}

/** Points sorted by step, for the charts. */
export function series(map: Map<number, MetricPoint>): MetricPoint[] {
  return [...map.values()].sort((a, b) => a.step - b.step);
}

/**
 * Steps per second over the recent metric events of the latest attempt (the event times come
 * from the training process, so queueing and start-up time are not counted).
 */
export function stepRate(points: readonly MetricPoint[], window = 20): number | null {
  const latestAttempt = points.reduce((max, p) => Math.max(max, p.attempt), 0);
  const recent = points.filter((p) => p.attempt === latestAttempt && p.time !== null).slice(-window);
  if (recent.length < 2) return null;
  const first = recent[0]!;
  const last = recent[recent.length - 1]!;
  const seconds = (last.time ?? 0) - (first.time ?? 0);
  if (seconds <= 0 || last.step <= first.step) return null;
  return (last.step - first.step) / seconds;
}

/** Seconds left at `rate` steps/s, or null when unknown. */
export function etaSeconds(step: number, total: number | null | undefined, rate: number | null): number | null {
  if (!total || !rate || rate <= 0 || step >= total) return null;
  return (total - step) / rate;
}
