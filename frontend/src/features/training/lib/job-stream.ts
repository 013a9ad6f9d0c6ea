/**
 * The job page's live state, folded from the job's event stream (`WS /api/ws/jobs/{id}`).
 * Pure: `applyEvents(state, events)` returns a new state and never mutates the old one.
 *
 * - Events are deduplicated by `seq` (a reconnect may overlap what was already received).
 * - After a resume, attempt 2 repeats some steps of attempt 1: per step, the latest attempt wins.
 * - `phase` events (loading the model, tokenising, training, evaluating k of N, saving) are the
 *   current phase; the log gets a line when a phase starts and, at most once a second of the
 *   trainer's clock, a line per training step.
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
  /** Every other number the event carried: a method's own metrics (rewards/margins, kl, reward, ...). */
  extra: Record<string, number>;
};

/** What the run is doing now (a `phase` event): done of total `unit` where known. */
export type Phase = {
  name: string;
  label: string;
  done: number | null;
  total: number | null;
  unit: string | null;
  attempt: number;
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
  /** The current phase; null before the first and once the run has ended. */
  phase: Phase | null;
  /** The trainer's time of the last step line in the log (throttles them to one a second). */
  lastStepLine: number | null;
};

// At most one "step n/N · loss" line per this many seconds of the trainer's clock.
export const STEP_LINE_INTERVAL_S = 1;

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
    phase: null,
    lastStepLine: null,
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

const NAMED = new Set([
  "step",
  "time",
  "epoch",
  "loss",
  "eval_loss",
  "learning_rate",
  "grad_norm",
  "tokens_per_s",
  "memory_mb",
  "max_steps",
]);

function metricPoint(event: StreamEvent): MetricPoint | null {
  const step = num(event.data.step);
  if (step === undefined) return null;
  const extra: Record<string, number> = {};
  for (const [key, value] of Object.entries(event.data)) {
    const n = num(value);
    if (n !== undefined && !NAMED.has(key) && typeof value !== "boolean") extra[key] = n;
  }
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
    extra,
  };
}

function phaseOf(event: StreamEvent): Phase {
  const d = event.data;
  const name = str(d.name) ?? "working";
  return {
    name,
    label: str(d.label) ?? name.replace(/_/g, " "),
    done: num(d.done) ?? null,
    total: num(d.total) ?? null,
    unit: str(d.unit),
    attempt: event.attempt,
  };
}

/** "1.234", "0.0001234": four significant digits. */
function short(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

/** "2e-4", "1.5e-4". */
function rate(value: number): string {
  return value.toExponential(1).replace(/\.0e/, "e");
}

/** "step 12/30 · loss 1.234 · lr 2e-4" */
export function stepLine(d: Record<string, unknown>): string {
  const step = num(d.step);
  const total = num(d.max_steps);
  const parts = [`step ${step ?? "?"}${total ? `/${total}` : ""}`];
  const loss = num(d.loss);
  if (loss !== undefined) parts.push(`loss ${short(loss)}`);
  const lr = num(d.learning_rate);
  if (lr !== undefined) parts.push(`lr ${rate(lr)}`);
  for (const [key, label] of [
    ["rewards/accuracies", "reward acc"],
    ["rewards/margins", "margin"],
    ["reward", "reward"],
  ] as const) {
    const value = num(d[key]);
    if (value !== undefined) parts.push(`${label} ${short(value)}`);
  }
  return parts.join(" · ");
}

function phaseLine(phase: Phase): string {
  return `${phase.label}…`;
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
    case "eval":
      if (d.final === true) return { seq: event.seq, level: "info", text: "evaluation finished", at };
      return num(d.eval_loss) !== undefined
        ? { seq: event.seq, level: "info", text: `eval at step ${String(d.step)} · eval loss ${short(num(d.eval_loss)!)}`, at }
        : null;
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
  const push = (line: LogLine) => next.logs.push(line);
  for (const event of fresh) {
    if (event.seq <= lastSeq) continue; // a duplicate inside the batch
    lastSeq = event.seq;
    const d = event.data;
    switch (event.type) {
      case "metric": {
        const point = metricPoint(event);
        if (point) putLatest(next.metrics, point);
        const time = num(d.time);
        const last = point && point.max_steps !== undefined && point.step >= point.max_steps;
        if (time === undefined || next.lastStepLine === null || time - next.lastStepLine >= STEP_LINE_INTERVAL_S || last) {
          push({ seq: event.seq, level: "info", text: stepLine(d), at: event.created_at ?? null });
          if (time !== undefined) next.lastStepLine = time;
        }
        break;
      }
      case "eval": {
        const point = metricPoint(event);
        // The final evaluation measures language-model loss on held-out answers: for a method
        // whose own loss is something else (DPO, KTO, GRPO ...) it is not a point of that series.
        const sameLoss = d.final !== true || d.method === undefined || d.method === "sft" || d.method === "cpt";
        if (point && (point.eval_loss !== undefined || Object.keys(point.extra).length > 0) && sameLoss) {
          putLatest(next.evals, point);
        }
        if (d.final === true || d.fine_tuned !== undefined) next.finalEval = d;
        break;
      }
      case "phase": {
        const phase = phaseOf(event);
        const previous = next.phase;
        const fresh = !previous || previous.name !== phase.name || previous.label !== phase.label;
        next.phase = phase;
        if (fresh && phase.name !== "training") {
          push({ seq: event.seq, level: "info", text: phaseLine(phase), at: event.created_at ?? null });
        }
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
        if (d.status !== "cancelling") next.phase = null; // a new attempt starts over; an ended one has none
        break;
      case "started":
        next.started = d;
        break;
      case "checkpoint":
        next.checkpoints.push({ step: num(d.step) ?? 0, path: String(d.path ?? ""), attempt: event.attempt });
        break;
      case "finished":
        next.finished = d;
        next.phase = null;
        break;
      case "failed":
        next.failure = d;
        next.phase = null;
        break;
      case "cancelled":
        next.phase = null;
        break;
    }
    const line = logText(event);
    if (line) push(line);
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

const RUNNING = new Set(["running", "cancelling"]);

/**
 * Seconds the job actually ran: the sum of its running intervals (a status `running` until the
 * next status that is not running or cancelling), per attempt. An interval still open counts up
 * to `now`. Null when the statuses carry no times.
 */
export function runSeconds(statuses: readonly StatusEntry[], now: number = Date.now()): number | null {
  let total = 0;
  let since: number | null = null;
  let known = false;
  for (const entry of statuses) {
    const at = entry.at ? Date.parse(entry.at) : NaN;
    if (!Number.isFinite(at)) continue;
    known = true;
    if (RUNNING.has(entry.status)) {
      if (since === null) since = at;
    } else if (since !== null) {
      total += Math.max(0, at - since);
      since = null;
    }
  }
  if (since !== null) total += Math.max(0, now - since);
  return known ? total / 1000 : null;
}
