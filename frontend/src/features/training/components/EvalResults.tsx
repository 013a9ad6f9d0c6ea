import type { EvalSample } from "../api/get-evaluation-report";
import { formatMetric } from "../lib/format";
import { EvalSamples } from "./EvalSamples";

type Scores = Record<string, unknown>;

type Headline = [string, unknown][];

const PREFERENCE_METHODS = new Set(["dpo", "orpo", "simpo", "cpo"]);

/** Does the method train on language-model loss, so eval loss and perplexity are its own numbers? */
export function lossIsTheMethodsOwn(method: string | null | undefined): boolean {
  return !method || method === "sft" || method === "cpt";
}

/**
 * The numbers that say whether this method learned (trl's own final evaluation, or for GRPO its
 * last training step): reward accuracy and margins for preference methods, desirable vs
 * undesirable rewards for KTO, the reward and its spread per reward function for GRPO.
 */
export function methodHeadline(method: string | null | undefined, m: Record<string, unknown> | null | undefined): Headline {
  if (!m) return [];
  if (method && PREFERENCE_METHODS.has(method)) {
    return [
      ["Reward accuracy", m["rewards/accuracies"]],
      ["Reward margin", m["rewards/margins"]],
      ["Chosen log-prob", m["logps/chosen"]],
      ["Rejected log-prob", m["logps/rejected"]],
    ];
  }
  if (method === "kto") {
    return [
      ["Desirable reward", m["rewards/chosen"]],
      ["Undesirable reward", m["rewards/rejected"]],
      ["Reward margin", m["rewards/margins"]],
      ["KL", m.kl],
    ];
  }
  if (method === "grpo") {
    const functions = Object.keys(m)
      .map((k) => /^rewards\/(.+)\/mean$/.exec(k)?.[1])
      .filter((f): f is string => Boolean(f))
      .sort();
    return [
      ["Mean reward", m.reward],
      ["Reward spread (std)", m.reward_std],
      ...functions.map((f): [string, unknown] => [`Reward: ${f} (mean ± std)`, pm(m[`rewards/${f}/mean`], m[`rewards/${f}/std`])]),
    ];
  }
  if (method === "reward") {
    return [
      ["Pairwise accuracy", m.accuracy],
      ["Margin", m.margin],
    ];
  }
  return [];
}

function pm(mean: unknown, std: unknown): string | undefined {
  if (typeof mean !== "number") return undefined;
  return typeof std === "number" ? `${formatMetric(mean)} ± ${formatMetric(std)}` : formatMetric(mean);
}

function Numbers({ label, items }: { label: string; items: Headline }) {
  const shown = items.filter(([, v]) => v !== undefined && v !== null);
  if (shown.length === 0) return null;
  return (
    <dl aria-label={label} className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
      {shown.map(([name, value]) => (
        <div key={name} className="min-w-0 rounded-lg bg-slate-50 p-3">
          <dt className="text-xs text-slate-500">{name}</dt>
          <dd className="break-words text-lg font-semibold text-slate-900">{formatMetric(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * Held-out evaluation and the base-vs-fine-tuned comparison (final `eval` event or
 * `result.metrics`): the method's own numbers first (`methodMetrics`), then eval loss, the task
 * metrics, and the sample answers side by side (`samples`, from evaluation.json).
 */
export function EvalResults({
  evaluation,
  method,
  methodMetrics,
  samples,
}: {
  evaluation: Record<string, unknown> | null;
  method?: string | null;
  methodMetrics?: Record<string, unknown> | null;
  samples?: EvalSample[] | null;
}) {
  const own = methodHeadline(method, (evaluation?.method_metrics as Record<string, unknown> | undefined) ?? methodMetrics);
  if (!evaluation) {
    return own.length > 0 ? (
      <div className="space-y-4">
        <Numbers label={`${(method ?? "").toUpperCase()} metrics`} items={own} />
        <p className="text-sm text-slate-600">The comparison with the base model appears when training ends.</p>
      </div>
    ) : (
      <p className="text-sm text-slate-600">Evaluation results appear when training ends.</p>
    );
  }
  const base = (evaluation.base ?? null) as Scores | null;
  const tuned = (evaluation.fine_tuned ?? null) as Scores | null;
  const lmOwn = lossIsTheMethodsOwn(method);
  const headline: Headline = lmOwn
    ? [
        ["Eval loss", evaluation.eval_loss],
        ["Perplexity", evaluation.perplexity],
        ["Base eval loss", evaluation.base_eval_loss],
        ["Base perplexity", evaluation.base_perplexity],
      ]
    : [
        ["LM loss on reference answers", evaluation.eval_loss],
        ["Base LM loss on reference answers", evaluation.base_eval_loss],
      ];
  const names = [...new Set([...Object.keys(tuned ?? {}), ...Object.keys(base ?? {})])];
  return (
    <div className="space-y-4">
      <Numbers label={`${(method ?? "").toUpperCase()} metrics`} items={own} />
      {!lmOwn && (evaluation.eval_loss !== undefined || evaluation.base_eval_loss !== undefined) && (
        <p className="text-xs text-slate-500">
          {(method ?? "This method").toUpperCase()} does not train on language-model loss: the loss below, on the held-out
          reference answers, is for comparison only.
        </p>
      )}
      <Numbers label="Held-out loss" items={headline} />
      {names.length > 0 && (
        // Focusable: on a phone the table scrolls sideways, and keyboard users must be able to scroll it.
        <div tabIndex={0} className="overflow-x-auto focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
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
      {samples && samples.length > 0 && <EvalSamples samples={samples} />}
    </div>
  );
}
