import { fieldRule, numberRange, type NumberRange } from "@/lib/api/field-rules";
import type { GenerationParams } from "@/lib/api/types";
import { parseStopStrings } from "./conversation";

/** The settings panel as typed (numbers as text, so a half-typed value is not lost). */
export type PlaygroundSettings = {
  system: string;
  temperature: string;
  top_p: string;
  max_new_tokens: string;
  stop: string;
  seed: string;
};

export type NumberSetting = "temperature" | "top_p" | "max_new_tokens" | "seed";

type NumberField = NumberRange & { label: string; integer: boolean; hint: string; default?: unknown };

// Limits and defaults from the API schema (GenerationParams), not written here.
function field(name: NumberSetting, label: string, integer: boolean, hint: string): NumberField {
  const rule = fieldRule("GenerationParams", name);
  return { label, integer, hint, ...numberRange(rule), default: rule.default };
}

export const NUMBER_FIELDS: Record<NumberSetting, NumberField> = {
  temperature: field("temperature", "Temperature", false, "0 always gives the same answer; higher varies more."),
  top_p: field("top_p", "Top-p", false, "Sample only from the most likely tokens that add up to this share."),
  max_new_tokens: field("max_new_tokens", "Max new tokens", true, "The answer stops after this many tokens."),
  seed: field("seed", "Seed (optional)", true, "The same seed repeats a sampled answer."),
};

const STOP_LIMIT = 8;
const STOP_CHARS = 64;

export function defaultSettings(): PlaygroundSettings {
  const text = (value: unknown) => (value === undefined || value === null ? "" : String(value));
  return {
    system: "",
    temperature: text(NUMBER_FIELDS.temperature.default ?? 0),
    top_p: text(NUMBER_FIELDS.top_p.default ?? 1),
    max_new_tokens: text(NUMBER_FIELDS.max_new_tokens.default ?? 256),
    stop: "",
    seed: "",
  };
}

/** The message for an out-of-range number, or null. Only the seed may be left empty. */
export function checkNumber(name: NumberSetting, value: string): string | null {
  const f = NUMBER_FIELDS[name];
  if (value.trim() === "") return name === "seed" ? null : "Enter a number.";
  const n = Number(value);
  if (!Number.isFinite(n)) return "Enter a number.";
  if (f.integer && !Number.isInteger(n)) return "Enter a whole number.";
  if (f.min !== undefined && (f.exclusiveMin ? n <= f.min : n < f.min)) {
    return f.exclusiveMin ? `Must be above ${f.min}.` : `Must be at least ${f.min}.`;
  }
  if (f.max !== undefined && (f.exclusiveMax ? n >= f.max : n > f.max)) {
    return f.exclusiveMax ? `Must be below ${f.max}.` : `Must be at most ${f.max}.`;
  }
  return null;
}

export function settingsErrors(settings: PlaygroundSettings): Partial<Record<keyof PlaygroundSettings, string>> {
  const errors: Partial<Record<keyof PlaygroundSettings, string>> = {};
  for (const name of Object.keys(NUMBER_FIELDS) as NumberSetting[]) {
    const message = checkNumber(name, settings[name]);
    if (message) errors[name] = message;
  }
  const stops = parseStopStrings(settings.stop);
  if (stops.length > STOP_LIMIT) errors.stop = `At most ${STOP_LIMIT} stop strings.`;
  else if (stops.some((s) => s.length > STOP_CHARS)) errors.stop = `Each stop string is at most ${STOP_CHARS} characters.`;
  const systemMax = fieldRule("GenerationParams", "system").maxLength;
  if (systemMax !== undefined && settings.system.length > systemMax) errors.system = `At most ${systemMax} characters.`;
  return errors;
}

/** The request's params (call only when settingsErrors is empty). */
export function toParams(settings: PlaygroundSettings): GenerationParams {
  return {
    system: settings.system.trim() ? settings.system : null,
    temperature: Number(settings.temperature),
    top_p: Number(settings.top_p),
    max_new_tokens: Number(settings.max_new_tokens),
    stop: parseStopStrings(settings.stop),
    seed: settings.seed.trim() ? Number(settings.seed) : null,
  };
}
