import { formatNumber } from "@/lib/format";

export type Histogram = { unit: string; histogram: Array<{ min: number; max: number | null; rows: number }> };

/** Row lengths as horizontal bars; empty buckets past the longest row are left out. */
export function LengthHistogram({ histogram }: { histogram: Histogram }) {
  const lastUsed = histogram.histogram.reduce((last, bucket, index) => (bucket.rows > 0 ? index : last), -1);
  const buckets = histogram.histogram.slice(0, Math.max(lastUsed + 1, 1));
  const most = Math.max(1, ...buckets.map((bucket) => bucket.rows));
  return (
    <figure className="mt-4">
      <figcaption className="mb-2 text-sm font-medium text-slate-700">Row length ({histogram.unit})</figcaption>
      <ul className="space-y-1 text-xs">
        {buckets.map((bucket) => {
          const label = bucket.max === null ? `${formatNumber(bucket.min)}+` : `${formatNumber(bucket.min)}–${formatNumber(bucket.max)}`;
          return (
            <li key={bucket.min} className="grid grid-cols-[6.5rem_1fr_3.5rem] items-center gap-2">
              <span className="text-right tabular-nums text-slate-500">{label}</span>
              <span className="h-3 rounded bg-slate-100">
                <span
                  className="block h-3 rounded bg-indigo-500"
                  style={{ width: `${(bucket.rows / most) * 100}%` }}
                  aria-hidden="true"
                />
              </span>
              <span className="tabular-nums text-slate-700">{formatNumber(bucket.rows)} rows</span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
