import { memo, useMemo } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricPoint } from "../lib/job-stream";
import { formatMetric } from "../lib/format";

type Row = { step: number } & Partial<Record<string, number>>;
type SeriesDef = { key: string; name: string; color: string };

const CHARTS: { title: string; series: SeriesDef[]; scale?: "log" }[] = [
  {
    title: "Loss",
    series: [
      { key: "loss", name: "train loss", color: "#4f46e5" },
      { key: "eval_loss", name: "eval loss", color: "#f59e0b" },
    ],
  },
  { title: "Learning rate", series: [{ key: "learning_rate", name: "learning rate", color: "#0891b2" }] },
  { title: "Grad norm", series: [{ key: "grad_norm", name: "grad norm", color: "#db2777" }] },
  { title: "Tokens per second", series: [{ key: "tokens_per_s", name: "tokens/s", color: "#16a34a" }] },
  { title: "Memory (MB)", series: [{ key: "memory_mb", name: "memory MB", color: "#9333ea" }] },
];

function merge(train: MetricPoint[], evals: MetricPoint[]): Row[] {
  const rows = new Map<number, Row>();
  for (const p of train) {
    rows.set(p.step, {
      step: p.step,
      loss: p.loss,
      learning_rate: p.learning_rate,
      grad_norm: p.grad_norm,
      tokens_per_s: p.tokens_per_s,
      memory_mb: p.memory_mb,
    });
  }
  for (const p of evals) rows.set(p.step, { ...(rows.get(p.step) ?? { step: p.step }), eval_loss: p.eval_loss });
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

/** Live training charts; each chart is a <figure> labelled by its title, with a text summary. */
export const MetricCharts = memo(function MetricCharts({ train, evals }: { train: MetricPoint[]; evals: MetricPoint[] }) {
  const rows = useMemo(() => merge(train, evals), [train, evals]);
  if (rows.length === 0) {
    return <p className="text-sm text-slate-600">Charts appear with the first training step.</p>;
  }
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      {CHARTS.map((chart) => {
        const points = chart.series.map((s) => rows.filter((r) => r[s.key] !== undefined).length);
        const total = points.reduce((a, b) => a + b, 0);
        if (total === 0) return null;
        const last = chart.series.map((s) => {
          const row = [...rows].reverse().find((r) => r[s.key] !== undefined);
          return row ? `${s.name} ${formatMetric(row[s.key])} at step ${row.step}` : null;
        });
        return (
          <figure
            key={chart.title}
            aria-label={`${chart.title} chart`}
            data-points={points[0]}
            className="rounded-lg border border-slate-200 p-3"
          >
            <figcaption className="mb-2 flex flex-wrap items-baseline justify-between gap-2 text-sm font-medium text-slate-800">
              {chart.title}
              <span className="text-xs font-normal text-slate-500" data-testid="chart-summary">
                {last.filter(Boolean).join(" · ")}
              </span>
            </figcaption>
            <div className="h-52">
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="step" type="number" domain={["dataMin", "dataMax"]} tick={{ fontSize: 11 }} allowDecimals={false} />
                  <YAxis tick={{ fontSize: 11 }} width={56} domain={["auto", "auto"]} tickFormatter={(v: number) => formatMetric(v)} />
                  <Tooltip formatter={(v) => formatMetric(v)} labelFormatter={(step) => `step ${String(step)}`} />
                  {points.filter(Boolean).length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
                  {chart.series.filter((_, i) => points[i]).map((s) => (
                    <Line
                      key={s.key}
                      type="linear"
                      dataKey={s.key}
                      name={s.name}
                      stroke={s.color}
                      strokeWidth={2}
                      dot={s.key === "eval_loss" || rows.length < 30 ? { r: 2 } : false}
                      connectNulls
                      isAnimationActive={false}
                    />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          </figure>
        );
      })}
    </div>
  );
});
