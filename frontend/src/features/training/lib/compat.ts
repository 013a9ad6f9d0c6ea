import type { components } from "@/lib/api/schema";

// What the rules read of /api/info entries: the generated types, with only the name required.
type Schemas = components["schemas"];

/**
 * Which choices the wizard offers, from `/api/info`: a method accepts some data kinds
 * (`methods[].data_kinds`) and some adapters (`methods[].adapters`); the library may also mark a
 * method, adapter or provider unavailable on this installation, with a reason.
 */
export type MethodInfo = Pick<Schemas["MethodInfo"], "name"> & Partial<Schemas["MethodInfo"]>;
export type AdapterInfo = Pick<Schemas["AdapterInfo"], "name"> & Partial<Schemas["AdapterInfo"]>;

/**
 * A dataset version's `kind` and a method's `data_kinds` use one vocabulary (the training library's
 * data kinds); `/api/info` lists each kind with the label to show (`data_kinds: [{name, description}]`).
 */
export type DataKindInfo = Schemas["DataKindInfo"];
export type DataKind = DataKindInfo["name"];
/** Data kind → label, from `/api/info`'s `data_kinds`. */
export type DataKindLabels = Record<string, string>;

export function dataKindLabels(kinds: readonly DataKindInfo[] | undefined): DataKindLabels {
  return Object.fromEntries((kinds ?? []).map((k) => [k.name, k.description]));
}

export function describeDataKind(kind: string, labels: DataKindLabels): string {
  return labels[kind] ?? kind;
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

/** Why a dataset version of `kind` cannot train `method`, or null when it can. */
export function datasetDisabledReason(
  method: MethodInfo | undefined,
  kind: DataKind | null | undefined,
  labels: DataKindLabels,
): string | null {
  if (!kind) return "Its format was not recognised.";
  if (!method?.data_kinds || method.data_kinds.includes(kind)) return null;
  const wanted = method.data_kinds.map((k) => describeDataKind(k, labels)).join(" or ");
  return `${method.name.toUpperCase()} needs ${wanted}; this is ${describeDataKind(kind, labels)}.`;
}
