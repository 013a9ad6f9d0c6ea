/**
 * Which choices the wizard offers, from `/api/info`: a method accepts some data kinds
 * (`methods[].data_kinds`) and some adapters (`methods[].adapters`); the library may also mark a
 * method, adapter or provider unavailable on this installation, with a reason.
 */
export type MethodInfo = {
  name: string;
  description?: string;
  data_kinds?: string[];
  adapters?: string[];
  available?: boolean;
  reason?: string;
};
export type AdapterInfo = { name: string; available?: boolean; reason?: string };

// A dataset version's `kind` (datasets API) → the training library's data kind.
const DATA_KIND_OF_DATASET: Record<string, string> = {
  messages: "chat",
  prompt_completion: "prompt_completion",
  preference: "preference",
  kto: "unpaired_preference",
  text: "text",
};

const KIND_LABELS: Record<string, string> = {
  chat: "chat conversations",
  prompt_completion: "prompt/completion pairs",
  preference: "preference pairs (chosen/rejected)",
  unpaired_preference: "completions labelled good or bad (KTO)",
  text: "plain text",
  prompt: "prompts",
};

export function dataKindOfDataset(kind: string | null | undefined): string | null {
  return kind ? (DATA_KIND_OF_DATASET[kind] ?? kind) : null;
}

export function describeDataKind(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/** Why `method` cannot be chosen, or null when it can. */
export function methodDisabledReason(method: MethodInfo): string | null {
  if (method.available === false) return method.reason || "Not available on this installation.";
  return null;
}

/** Why `adapter` cannot be combined with `method`, or null when the pair is valid. */
export function adapterDisabledReason(method: MethodInfo | undefined, adapter: AdapterInfo): string | null {
  if (adapter.available === false) return adapter.reason || "Not available on this installation.";
  if (method?.adapters && !method.adapters.includes(adapter.name)) {
    const allowed = method.adapters.join(", ");
    return `${method.name.toUpperCase()} trains with ${allowed} only.`;
  }
  return null;
}

/** Why a dataset version of `datasetKind` cannot train `method`, or null when it can. */
export function datasetDisabledReason(method: MethodInfo | undefined, datasetKind: string | null | undefined): string | null {
  const kind = dataKindOfDataset(datasetKind);
  if (!kind) return "Its format was not recognised.";
  if (!method?.data_kinds || method.data_kinds.includes(kind)) return null;
  const wanted = method.data_kinds.map(describeDataKind).join(" or ");
  return `${method.name.toUpperCase()} needs ${wanted}; this is ${describeDataKind(kind)}.`;
}
