import { formatMetric } from "../lib/format";

type Scores = Record<string, unknown>;

/** Held-out evaluation and the base-vs-fine-tuned comparison (final `eval` event or `result.metrics`). */
export function EvalResults({ evaluation }: { evaluation: Record<string, unknown> | null }) {
  if (!evaluation) return <p className="text-sm text-slate-600">Evaluation results appear when training ends.</p>;
  const base = (evaluation.base ?? null) as Scores | null;
  const tuned = (evaluation.fine_tuned ?? null) as Scores | null;
  const headline: [string, unknown][] = [
    ["Eval loss", evaluation.eval_loss],
    ["Perplexity", evaluation.perplexity],
    ["Base eval loss", evaluation.base_eval_loss],
    ["Base perplexity", evaluation.base_perplexity],
  ];
  const names = [...new Set([...Object.keys(tuned ?? {}), ...Object.keys(base ?? {})])];
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
        {headline
          .filter(([, v]) => v !== undefined && v !== null)
          .map(([label, value]) => (
            <div key={label} className="rounded-lg bg-slate-50 p-3">
              <dt className="text-xs text-slate-500">{label}</dt>
              <dd className="text-lg font-semibold text-slate-900">{formatMetric(value)}</dd>
            </div>
          ))}
      </dl>
      {names.length > 0 && (
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm">
            <caption className="mb-1 text-left text-sm font-medium text-slate-800">{base ? "Base model vs fine-tuned" : "Task metrics of the fine-tuned model"}</caption>
            <thead className="text-left text-xs uppercase text-slate-500">
              <tr>
                <th scope="col" className="py-1 pr-4">Metric</th>
                {base && <th scope="col" className="py-1 pr-4">Base</th>}
                <th scope="col" className="py-1 pr-4">Fine-tuned</th>
                {base && <th scope="col" className="py-1">Change</th>}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {names.map((name) => {
                const b = base?.[name];
                const t = tuned?.[name];
                const delta = typeof b === "number" && typeof t === "number" ? t - b : null;
                return (
                  <tr key={name}>
                    <th scope="row" className="py-1 pr-4 text-left font-medium text-slate-700">{name}</th>
                    {base && <td className="py-1 pr-4">{formatMetric(b)}</td>}
                    <td className="py-1 pr-4">{formatMetric(t)}</td>
                    {base && (
                      <td className={delta && delta > 0 ? "py-1 text-emerald-700" : delta && delta < 0 ? "py-1 text-red-700" : "py-1"}>
                        {delta === null ? "—" : `${delta > 0 ? "+" : ""}${formatMetric(delta)}`}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
