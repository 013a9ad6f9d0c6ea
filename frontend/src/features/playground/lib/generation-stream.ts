import type { GenerationRead } from "@/lib/api/types";

/**
 * What `/api/ws/generations/{id}` sends: the whole row (`snapshot`, on connect and on every status
 * change or missed piece), the next piece of text (`delta`, seq = the row's seq after it), and pings.
 */
export type StreamMessage =
  | { kind: "snapshot"; generation: GenerationRead }
  | { kind: "delta"; seq: number; text: string }
  | { kind: "ping" };

const TERMINAL: ReadonlySet<GenerationRead["status"]> = new Set(["done", "failed", "cancelled"]);

/** Finished, failed or stopped: nothing more will be written. */
export function isTerminal(generation: Pick<GenerationRead, "status">): boolean {
  return TERMINAL.has(generation.status);
}

/**
 * The answer after one message. A snapshot replaces it (the row is the truth); a delta appends when it
 * is the next piece. A repeated or out-of-order delta is dropped: the server follows a gap with a snapshot.
 */
export function applyStreamMessage(current: GenerationRead, message: StreamMessage): GenerationRead {
  if (message.kind === "snapshot") return mergeGeneration(current, message.generation, { replace: true });
  if (message.kind === "delta") {
    if (message.seq !== current.seq + 1) return current;
    return { ...current, text: current.text + message.text, seq: message.seq };
  }
  return current;
}

/**
 * An answer read again (a snapshot, a cancel's reply, a turn after feedback) over the one on screen.
 * Older text (lower seq) never replaces newer unless `replace`; what a pick revealed stays revealed.
 */
export function mergeGeneration(
  current: GenerationRead | undefined,
  incoming: GenerationRead,
  { replace = false }: { replace?: boolean } = {},
): GenerationRead {
  if (!current) return incoming;
  const revealed = {
    label: incoming.label ?? current.label,
    version_id: incoming.version_id ?? current.version_id,
    base: incoming.base ?? current.base,
    rendered_prompt: incoming.rendered_prompt ?? current.rendered_prompt,
  };
  if (replace || incoming.seq >= current.seq) return { ...incoming, ...revealed };
  return { ...current, ...revealed, rating: incoming.rating, edited_text: incoming.edited_text };
}
