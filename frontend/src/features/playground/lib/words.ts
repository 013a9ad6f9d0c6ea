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
    // An adapter attached to a base already loaded takes milliseconds: "0.0 s" would read as nothing.
    const took = stats.load_ms && (stats.load_ms < 1000 ? `${Math.round(stats.load_ms)} ms` : `${(stats.load_ms / 1000).toFixed(1)} s`);
    parts.push(took ? `cold (model loaded in ${took})` : "cold (model loaded)");
  } else if (stats.cold === false) parts.push("warm (model already loaded)");
  return parts;
}
