import { memo, useMemo } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricPoint } from "../lib/job-stream";
import { formatMetric } from "../lib/format";
import { TOOLTIP_ITEM_STYLE, TOOLTIP_LABEL_STYLE } from "@/lib/chart-tooltip";

type Row = { step: number } & Partial<Record<string, number>>;
/** `key`: a train metric's name, or `eval_<name>` for the same metric of an evaluation. */
export type SeriesDef = { key: string; name: string; color: string };
export type ChartDef = { title: string; series: SeriesDef[] };

const INDIGO = "#4f46e5";
const AMBER = "#f59e0b";
const GREEN = "#16a34a";
const RED = "#dc2626";
const CYAN = "#0891b2";

/** One quantity, trained and held out, on one chart. */
function trainAndEval(title: string, key: string, name: string): ChartDef {
  return {
    title,
    series: [
      { key, name: `train ${name}`, color: INDIGO },
      { key: `eval_${key}`, name: `eval ${name}`, color: AMBER },
    ],
  };
}

/** Two sides of one quantity (chosen vs rejected), trained only: same unit, one chart. */
function pair(title: string, a: [string, string], b: [string, string]): ChartDef {
  return {
    title,
    series: [
      { key: a[0], name: a[1], color: GREEN },
      { key: b[0], name: b[1], color: RED },
    ],
  };
}

const LOSS: ChartDef = {
  title: "Loss",
  series: [
    { key: "loss", name: "train loss", color: INDIGO },
    { key: "eval_loss", name: "eval loss", color: AMBER },
  ],
};

const TRAINING: ChartDef[] = [
  { title: "Learning rate", series: [{ key: "learning_rate", name: "learning rate", color: CYAN }] },
  { title: "Grad norm", series: [{ key: "grad_norm", name: "grad norm", color: "#db2777" }] },
  { title: "Tokens per second", series: [{ key: "tokens_per_s", name: "tokens/s", color: GREEN }] },
  { title: "Memory (MB)", series: [{ key: "memory_mb", name: "memory MB", color: "#9333ea" }] },
];

// trl 1.16 logs these per step (and with eval_ on evaluation): DPOTrainer, experimental ORPO and
// CPO (SimPO/CPO) log rewards/{chosen,rejected,accuracies,margins} and logps/{chosen,rejected};
// ORPO adds nll_loss, log_odds_ratio, log_odds_chosen; CPO nll_loss.
const PREFERENCE: ChartDef[] = [
  trainAndEval("Reward accuracy", "rewards/accuracies", "accuracy"),
  trainAndEval("Reward margin", "rewards/margins", "margin"),
  pair("Rewards: chosen vs rejected", ["rewards/chosen", "chosen"], ["rewards/rejected", "rejected"]),
  pair("Log-probabilities: chosen vs rejected", ["logps/chosen", "chosen"], ["logps/rejected", "rejected"]),
];

// KTOTrainer: rewards/chosen and logps/chosen are the desirable completions, .../rejected the
// undesirable ones; rewards/margins, kl.
const KTO: ChartDef[] = [
  pair("Rewards: desirable vs undesirable", ["rewards/chosen", "desirable"], ["rewards/rejected", "undesirable"]),
  trainAndEval("Reward margin", "rewards/margins", "margin"),
  pair("Log-probabilities: desirable vs undesirable", ["logps/chosen", "desirable"], ["logps/rejected", "undesirable"]),
  trainAndEval("KL to the reference", "kl", "KL"),
];

// RewardTrainer: accuracy, margin, min/mean/max_reward.
const REWARD_MODEL: ChartDef[] = [
  trainAndEval("Pairwise accuracy", "accuracy", "accuracy"),
  trainAndEval("Margin", "margin", "margin"),
  {
    title: "Scores",
    series: [
      { key: "mean_reward", name: "mean", color: INDIGO },
      { key: "min_reward", name: "min", color: RED },
      { key: "max_reward", name: "max", color: GREEN },
    ],
  },
];

/** GRPOTrainer: reward and reward_std over all reward functions, rewards/<function>/{mean,std} each. */
function grpoCharts(keys: ReadonlySet<string>): ChartDef[] {
  const functions = [...keys]
    .map((k) => /^rewards\/(.+)\/mean$/.exec(k)?.[1])
    .filter((f): f is string => Boolean(f))
    .sort();
  return [
    {
      title: "Reward (all functions)",
      series: [
        { key: "reward", name: "mean", color: INDIGO },
        { key: "reward_std", name: "spread (std)", color: AMBER },
      ],
    },
    ...functions.map((f) => ({
      title: `Reward: ${f}`,
      series: [
        { key: `rewards/${f}/mean`, name: "mean", color: INDIGO },
        { key: `rewards/${f}/std`, name: "spread (std)", color: AMBER },
      ],
    })),
    { title: "KL to the reference", series: [{ key: "kl", name: "KL", color: CYAN }] },
    { title: "Completion length", series: [{ key: "completions/mean_length", name: "mean tokens", color: GREEN }] },
  ];
}

/**
 * The charts of a method, in order: its own loss first, then what tells whether it learns (reward
 * accuracy and margins, desirable vs undesirable rewards, each reward function), then the trainer's
 * health. Quantities of different scale never share a chart; `keys` (the metric names seen)
 * decide the per-function GRPO charts. A chart whose series have no points is not drawn.
 */
export function chartsFor(method: string | null | undefined, keys: ReadonlySet<string> = new Set()): ChartDef[] {
  switch (method) {
    case "dpo":
    case "orpo":
    case "simpo":
    case "cpo":
      return [
        LOSS,
        ...PREFERENCE,
        ...(method === "orpo"
          ? [
              { title: "NLL loss (chosen)", series: [{ key: "nll_loss", name: "train NLL", color: INDIGO }, { key: "eval_nll_loss", name: "eval NLL", color: AMBER }] },
              pair("Log odds", ["log_odds_chosen", "log odds chosen"], ["log_odds_ratio", "log odds ratio"]),
            ]
          : method === "simpo" || method === "cpo"
            ? [{ title: "NLL loss (chosen)", series: [{ key: "nll_loss", name: "train NLL", color: INDIGO }, { key: "eval_nll_loss", name: "eval NLL", color: AMBER }] }]
            : []),
        ...TRAINING,
      ];
    case "kto":
      return [LOSS, ...KTO, ...TRAINING];
    case "grpo":
      return [LOSS, ...grpoCharts(keys), ...TRAINING];
    case "reward":
      return [LOSS, ...REWARD_MODEL, ...TRAINING];
    default:
      return [LOSS, ...TRAINING];
  }
}

export function mergeRows(train: MetricPoint[], evals: MetricPoint[]): Row[] {
  const rows = new Map<number, Row>();
  for (const p of train) {
    rows.set(p.step, {
      ...p.extra,
      step: p.step,
      loss: p.loss,
      learning_rate: p.learning_rate,
      grad_norm: p.grad_norm,
      tokens_per_s: p.tokens_per_s,
      memory_mb: p.memory_mb,
    });
  }
  for (const p of evals) {
    const row: Row = { ...(rows.get(p.step) ?? { step: p.step }), eval_loss: p.eval_loss };
    for (const [key, value] of Object.entries(p.extra)) row[`eval_${key}`] = value;
    rows.set(p.step, row);
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

/** Live training charts; each chart is a <figure> labelled by its title, with a text summary. */
export const MetricCharts = memo(function MetricCharts({
  train,
  evals,
  method,
}: {
  train: MetricPoint[];
  evals: MetricPoint[];
  method?: string | null;
}) {
  const rows = useMemo(() => mergeRows(train, evals), [train, evals]);
  const charts = useMemo(() => {
    const keys = new Set<string>();
    for (const p of train) for (const key of Object.keys(p.extra)) keys.add(key);
    return chartsFor(method, keys);
  }, [train, method]);
  if (rows.length === 0) {
    return <p className="text-sm text-slate-600">Charts appear with the first training step.</p>;
  }
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      {charts.map((chart) => {
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
            className="min-w-0 rounded-lg border border-slate-200 p-3"
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
                  <Tooltip
                    formatter={(v) => formatMetric(v)}
                    labelFormatter={(step) => `step ${String(step)}`}
                    itemStyle={TOOLTIP_ITEM_STYLE}
                    labelStyle={TOOLTIP_LABEL_STYLE}
                  />
                  {points.filter(Boolean).length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
                  {chart.series.filter((_, i) => points[i]).map((s) => (
                    <Line
                      key={s.key}
                      type="linear"
                      dataKey={(row: Row) => row[s.key]}
                      name={s.name}
                      stroke={s.color}
                      strokeWidth={2}
                      dot={s.key.startsWith("eval_") || rows.length < 30 ? { r: 2 } : false}
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
