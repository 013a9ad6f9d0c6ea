import type { CompareRow } from "@/lib/api/types";

/** The compare table's rows, all of them or only those whose values differ between versions. */
export function visibleRows(rows: CompareRow[], differencesOnly: boolean): CompareRow[] {
  return differencesOnly ? rows.filter((row) => row.differs) : rows;
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export { formatBytes } from "@/lib/format";
