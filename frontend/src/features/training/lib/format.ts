/** "1 h 02 min", "3 min 05 s", "42 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, "0")} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (value > 0 && value < 0.01) return "< $0.01";
  return `$${value.toFixed(2)}`;
}

export function formatMetric(value: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return value === null || value === undefined ? "—" : String(value);
  if (value !== 0 && Math.abs(value) < 0.001) return value.toExponential(3).replace(/\.?0+e/, "e");
  return Number.isInteger(value) ? String(value) : value.toFixed(4).replace(/0+$/, "").replace(/\.$/, "");
}

/** A phase's seconds: tenths under ten seconds ("0.4 s"), else as formatDuration. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  return seconds < 9.95 ? `${Math.max(0, seconds).toFixed(1)} s` : formatDuration(seconds);
}

/** An estimate's range: "6–13 s", "1–2 min", "45 s – 2 min 10 s", "about 2 min". */
export function formatDurationRange(low: number | null | undefined, high: number | null | undefined): string {
  if (low === null || low === undefined || high === null || high === undefined) return formatDuration(low ?? high);
  const lo = Math.max(0, Math.round(low));
  const hi = Math.max(lo, Math.round(high));
  if (hi < 60) return lo === hi ? `about ${hi} s` : `${lo}–${hi} s`;
  if (lo >= 60 && hi < 3600) {
    const a = Math.max(1, Math.round(lo / 60));
    const b = Math.max(a, Math.round(hi / 60));
    return a === b ? `about ${a} min` : `${a}–${b} min`;
  }
  return `${formatDuration(lo)} – ${formatDuration(hi)}`;
}

/** A ratio of actual to estimated time: "1.3×". */
export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${value.toFixed(value >= 10 ? 0 : 1)}×`;
}
