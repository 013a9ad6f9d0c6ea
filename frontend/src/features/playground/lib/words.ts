import type { GenerationRead, GenerationStats } from "@/lib/api/types";

// How an answer's state reads on screen.
const STATUS_WORDS: Record<GenerationRead["status"], string> = {
  queued: "waiting for a worker",
  loading: "loading the model (first use)",
  running: "writing the answer",
  done: "finished",
  failed: "failed",
  cancelled: "stopped",
};

export function statusInWords(status: GenerationRead["status"]): string {
  return STATUS_WORDS[status] ?? status;
}

const FINISH_WORDS: Record<string, string> = {
  stop: "ended its turn",
  stop_string: "stopped at a stop string",
  length: "stopped at max new tokens",
  cancelled: "stopped by you",
};

export function finishInWords(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return FINISH_WORDS[reason] ?? reason;
}

/** "first token 120 ms · 35.2 tokens/s · 64 new tokens · cold (loaded in 1.4 s)": what is known. */
export function statsInWords(stats: GenerationStats): string[] {
  const parts: string[] = [];
  if (stats.first_token_ms != null) parts.push(`first token ${Math.round(stats.first_token_ms)} ms`);
  if (stats.tokens_per_s != null) parts.push(`${stats.tokens_per_s.toFixed(1)} tokens/s`);
  if (stats.new_tokens != null) parts.push(`${stats.new_tokens} new tokens`);
  if (stats.cold === true) {
    parts.push(stats.load_ms ? `cold (model loaded in ${(stats.load_ms / 1000).toFixed(1)} s)` : "cold (model loaded)");
  } else if (stats.cold === false) parts.push("warm (model already loaded)");
  return parts;
}
