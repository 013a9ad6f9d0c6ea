import type { ModelVersionRead, PublicationRead, PublicationStatus, PublicationTarget } from "@/lib/api/types";

// How publishing reads on screen: targets, statuses, the checks' results in words, and the dialog's defaults.

export const TARGET_LABELS: Record<PublicationTarget, string> = {
  hub: "Hugging Face Hub",
  ollama: "Ollama",
  gguf: "GGUF files",
};

const STATUS_WORDS: Record<PublicationStatus, string> = {
  queued: "waiting for a worker",
  running: "publishing",
  succeeded: "published",
  failed: "failed",
  cancelled: "cancelled",
};

export function statusInWords(status: PublicationStatus): string {
  return STATUS_WORDS[status] ?? status;
}

/** The server's name rule (publishing/service.py slug): lower case, runs of other characters become "-". */
export function slug(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-._]+|[-._]+$/g, "")
    .slice(0, 60);
  return cleaned || "model";
}

/** `<hub user>/<model>-v<N>`, or `<model>-v<N>` while the token's user is unknown (the server adds it). */
export function defaultRepoId(version: Pick<ModelVersionRead, "model_name" | "number">, hubUsername: string | null | undefined): string {
  const name = `${slug(version.model_name)}-v${version.number}`;
  return hubUsername ? `${hubUsername}/${name}` : name;
}

/** `<model>:v<N>`, as the server would name it. */
export function defaultOllamaName(version: Pick<ModelVersionRead, "model_name" | "number">): string {
  return `${slug(version.model_name)}:v${version.number}`;
}

// The request schema's patterns (publishing/schemas.py), checked here to say what is wrong in words.
const REPO_ID = /^([A-Za-z0-9][\w.-]{0,47}\/)?[A-Za-z0-9][\w.-]{0,95}$/;
const OLLAMA_NAME = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)?(:[\w.-]+)?$/;

export function repoIdProblem(repoId: string, hubUsername: string | null | undefined): string | null {
  const value = repoId.trim();
  if (!value) return "Give the repository a name.";
  if (!REPO_ID.test(value)) {
    return "Use owner/name or name: letters, digits, '-', '_' and '.', starting with a letter or digit.";
  }
  if (!value.includes("/") && !hubUsername) {
    return "Your token's Hugging Face user is not known yet: write the repository as owner/name, or check the token in Settings.";
  }
  return null;
}

export function ollamaNameProblem(name: string): string | null {
  const value = name.trim();
  if (!value) return "Give the model a name.";
  if (!OLLAMA_NAME.test(value)) {
    return "Use lower-case letters, digits, '.', '_' and '-', optionally a namespace/ before and a :tag after (e.g. support-bot:v3).";
  }
  return null;
}

/** What the quantisation choices mean (training/gguf.py OUT_TYPES). */
const GGUF_TYPE_WORDS: Record<string, string> = {
  f32: "full precision, the largest file",
  f16: "half precision, as trained",
  bf16: "bfloat16, as trained",
  q8_0: "8-bit, about half the size of f16",
  tq1_0: "ternary, only for ternary-trained models",
  tq2_0: "ternary, only for ternary-trained models",
};

export function ggufTypeInWords(type: string): string | undefined {
  return GGUF_TYPE_WORDS[type];
}

// -- the checks' results -------------------------------------------------------------------------

type Check = {
  prompts?: number;
  agree?: number;
  passed?: number;
  ok?: boolean;
  next_token_agreement?: number;
  tokens_match?: boolean;
  first_disagreement?: unknown;
  by_type?: unknown;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function readCheck(value: unknown): Check | null {
  if (!isRecord(value)) return null;
  return {
    prompts: num(value.prompts),
    agree: num(value.agree),
    passed: num(value.passed),
    ok: typeof value.ok === "boolean" ? value.ok : undefined,
    next_token_agreement: num(value.next_token_agreement),
    tokens_match: typeof value.tokens_match === "boolean" ? value.tokens_match : undefined,
    first_disagreement: value.first_disagreement,
    by_type: value.by_type,
  };
}

/** 0.9936 → "99%": rounded down, so only an exact match reads 100%. */
export function percent(fraction: number): string {
  return `${fraction >= 1 ? 100 : Math.floor(fraction * 100)}%`;
}

function checkLine(check: Check): string | null {
  if (check.prompts === undefined) return null;
  const agreeing = check.passed ?? check.agree ?? 0;
  const parts = [`${agreeing}/${check.prompts} prompts agree`];
  if (check.next_token_agreement !== undefined) parts.push(`next-token agreement ${percent(check.next_token_agreement)}`);
  return parts.join(" · ");
}

export type VerificationSummary = {
  ok: boolean | undefined;
  /** "Verified: 8/8 prompts agree", "Check failed: 5/8 prompts agree · next-token agreement 92%" */
  headline: string;
  /** How many answers were identical to the end, when that differs from the count that passed. */
  exact: string | null;
  /** GGUF, one line per type: "q8_0: 1/3 prompts agree · next-token agreement 92%". */
  byType: string[];
  tokenizerDiffers: boolean;
};

export function verificationSummary(verification: PublicationRead["verification"]): VerificationSummary | null {
  const check = readCheck(verification);
  if (!check) return null;
  const line = checkLine(check);
  if (!line) return null;
  const byType = isRecord(check.by_type)
    ? Object.entries(check.by_type)
        .map(([type, value]) => {
          const typed = readCheck(value);
          const typeLine = typed && checkLine(typed);
          return typeLine ? `${type}: ${typeLine}` : null;
        })
        .filter((l): l is string => l !== null)
    : [];
  const exact =
    check.passed !== undefined && check.agree !== undefined && check.agree !== check.passed
      ? `${check.agree}/${check.prompts} identical word for word`
      : null;
  return {
    ok: check.ok,
    headline: `${check.ok === false ? "Check failed" : "Verified"}: ${line}`,
    exact,
    byType: byType.length > 1 ? byType : [],
    tokenizerDiffers: check.tokens_match === false,
  };
}

export type Disagreement = {
  prompt: string;
  ours: string;
  theirs: string;
  theirsLabel: string;
  /** Why the published model stopped, when that is the problem ("ran on to the length limit"). */
  note: string | null;
};

/** The first prompt whose answers differ: TuneForge's answer next to the published model's. */
export function firstDisagreement(verification: PublicationRead["verification"]): Disagreement | null {
  const first = readCheck(verification)?.first_disagreement;
  if (!isRecord(first)) return null;
  const prompt = text(first.prompt) ?? "";
  const ours = text(first.tuneforge) ?? text(first.original) ?? "";
  if (text(first.ollama) !== undefined) {
    const reason = text(first.ollama_done_reason);
    return {
      prompt,
      ours,
      theirs: text(first.ollama) ?? "",
      theirsLabel: "Ollama's answer",
      note: reason === "length" ? "Ollama did not stop: it ran on to the length limit (a missing stop token?)." : null,
    };
  }
  return { prompt, ours, theirs: text(first.gguf) ?? "", theirsLabel: "The GGUF's answer", note: null };
}

/** 3e-7 → "3e-7", 0.000312 → "0.00031". */
export function small(value: number): string {
  return String(Number(value.toPrecision(2)));
}

/** "Merge checked: merged logits within 0.0003 of base+adapter (allowed 0.001)". */
export function mergeCheckInWords(mergeCheck: PublicationRead["merge_check"]): { ok: boolean; text: string } | null {
  if (!isRecord(mergeCheck)) return null;
  const diff = num(mergeCheck.max_abs_logit_diff);
  if (diff === undefined) return null;
  const tolerance = num(mergeCheck.tolerance);
  const allowed = tolerance !== undefined ? ` (allowed ${small(tolerance)})` : "";
  const ok = mergeCheck.ok !== false;
  return ok
    ? { ok, text: `Merge checked: merged logits within ${small(diff)} of base+adapter${allowed}` }
    : { ok, text: `Merge check failed: merged logits differ by up to ${small(diff)} from base+adapter${allowed}` };
}

/** The progress message while it runs: "Converting to GGUF q8_0 with llama.cpp's converter". */
export function progressInWords(publication: Pick<PublicationRead, "status" | "progress">): string {
  const message = text(publication.progress.message) ?? text(publication.progress.phase);
  if (!message) return publication.status === "queued" ? "Waiting for a worker" : "Starting";
  return message.charAt(0).toUpperCase() + message.slice(1);
}

export function progressCounts(publication: Pick<PublicationRead, "progress">): { done: number; total: number | null } {
  const total = num(publication.progress.total);
  return { done: num(publication.progress.done) ?? 0, total: total && total > 0 ? total : null };
}

export function shortSha(sha256: string): string {
  return sha256.length > 12 ? `${sha256.slice(0, 12)}…` : sha256;
}

/** A full fine-tune has no adapter: its weights are the model, so the Hub gets them merged. */
export function isFullFineTune(version: Pick<ModelVersionRead, "lineage">): boolean {
  return isRecord(version.lineage.spec) && version.lineage.spec.adapter === "full";
}

/** A reward model scores answers; the server refuses to publish it. */
export function isRewardModel(version: Pick<ModelVersionRead, "lineage">): boolean {
  return isRecord(version.lineage.spec) && version.lineage.spec.method === "reward";
}
