import type { ChatMessage, FeedbackSaved, GenerationRead, TurnRead } from "@/lib/api/types";

/**
 * The answer the conversation goes on with: the picked one (a tie or no pick: A's), its edit when the
 * user corrected it.
 */
export function continuingAnswer(turn: Pick<TurnRead, "pick">, answers: GenerationRead[]): GenerationRead | undefined {
  return turn.pick === "b" ? answers[1] : answers[0];
}

/**
 * The messages of the next turn: the last turn's conversation, its continuing answer, then the new
 * user message. An exchange that produced no text is left out (a chat template wants an answer
 * after each user message).
 */
export function nextMessages(
  last: { turn: Pick<TurnRead, "messages" | "pick">; answers: GenerationRead[] } | undefined,
  userMessage: string,
): ChatMessage[] {
  const user: ChatMessage = { role: "user", content: userMessage };
  if (!last) return [user];
  const answer = continuingAnswer(last.turn, last.answers);
  const text = answer ? (answer.edited_text ?? answer.text) : "";
  if (!text.trim()) return [...last.turn.messages.slice(0, -1), user];
  return [...last.turn.messages, { role: "assistant", content: text }, user];
}

/** Stop strings as typed: one per line or separated by commas (empty ones dropped); `\n` is a line break. */
export function parseStopStrings(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/\\n/g, "\n").replace(/\\t/g, "\t"));
}

/** The wizard, opened on a feedback dataset version with its method, starting from a model version. */
export function trainLink(saved: { dataset_version_id: string; method: string }, versionId: string | null | undefined): string {
  const query = `dataset_version=${encodeURIComponent(saved.dataset_version_id)}&method=${encodeURIComponent(saved.method)}`;
  return `/training/new?${query}${versionId ? `&base_model=version:${encodeURIComponent(versionId)}` : ""}`;
}

/** "Saved to Playground preferences v3 (3 rows)". */
export function savedInWords(saved: FeedbackSaved): string {
  return `Saved to ${saved.dataset_name} v${saved.version_number} (${saved.rows} row${saved.rows === 1 ? "" : "s"})`;
}
