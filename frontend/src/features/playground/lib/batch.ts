import type { BatchRead, PlaygroundTarget } from "@/lib/api/types";

// The data kinds whose rows have prompts to answer (others are refused by the server).
export const PROMPT_KINDS = ["chat", "tool_chat", "prompt_completion", "preference", "unpaired_preference", "prompt"];

/** A target as a select's value: "v:<id>" (the version) or "base:<id>" (the base model it was trained from). */
export function encodeTarget(target: PlaygroundTarget): string {
  return `${target.base ? "base" : "v"}:${target.version_id}`;
}

export function decodeTarget(value: string): PlaygroundTarget | null {
  const [kind, id] = value.split(":");
  if (!id || (kind !== "v" && kind !== "base")) return null;
  return { version_id: id, base: kind === "base" };
}

// Scores in the order people read them; any other the server adds comes after.
const METRIC_ORDER = ["exact_match", "token_f1", "f1", "rouge1", "rouge2", "rougeL", "bleu"];
const METRIC_NAMES: Record<string, string> = {
  exact_match: "Exact match",
  token_f1: "Token F1",
  f1: "F1",
  rouge1: "ROUGE-1",
  rouge2: "ROUGE-2",
  rougeL: "ROUGE-L",
  bleu: "BLEU",
  rows_scored: "Rows scored",
  mean_answer_chars: "Mean answer length (characters)",
};

export function metricName(key: string): string {
  return METRIC_NAMES[key] ?? key.replace(/_/g, " ");
}

/** The numeric metrics any target has, known ones first. */
export function metricKeys(metrics: BatchRead["metrics"]): string[] {
  const found = new Set<string>();
  for (const m of metrics) for (const [k, v] of Object.entries(m ?? {})) if (typeof v === "number") found.add(k);
  const known = METRIC_ORDER.filter((k) => found.has(k));
  return [...known, ...[...found].filter((k) => !METRIC_ORDER.includes(k)).sort()];
}

export function formatScore(value: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(3);
}
