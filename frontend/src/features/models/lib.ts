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

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
