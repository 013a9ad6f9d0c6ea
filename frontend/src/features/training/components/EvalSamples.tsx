import { useState } from "react";
import { Button } from "@/components/ui/Button";
import type { EvalSample } from "../api/get-evaluation-report";
import { formatMetric } from "../lib/format";

const FIRST = 5;

/** A held-out prompt as text: its last user message, or each message with its role when there are several. */
export function promptText(prompt: EvalSample["prompt"]): string {
  if (typeof prompt === "string") return prompt;
  if (prompt.length === 1) return prompt[0]!.content;
  return prompt.map((m) => `${m.role}: ${m.content}`).join("\n");
}

function Answer({ text, scores }: { text: string | undefined; scores: Record<string, number> | undefined }) {
  if (text === undefined) return <span className="text-slate-400">—</span>;
  const f1 = scores?.token_f1;
  return (
    <>
      <span className="whitespace-pre-wrap wrap-anywhere">{text || <em className="text-slate-400">(empty)</em>}</span>
      {typeof f1 === "number" && <span className="mt-1 block text-xs text-slate-500">token F1 {formatMetric(f1)}</span>}
    </>
  );
}

/**
 * The sample generations of evaluation.json: for each held-out prompt, the reference, the base
 * model's answer and the fine-tuned model's answer side by side (stacked on a phone).
 */
export function EvalSamples({ samples }: { samples: EvalSample[] }) {
  const [all, setAll] = useState(false);
  const hasBase = samples.some((s) => s.base !== undefined);
  const shown = all ? samples : samples.slice(0, FIRST);
  const box = "min-w-0 rounded-md bg-slate-50 p-2";
  const label = "mb-1 text-xs font-medium uppercase text-slate-500";
  return (
    <section aria-labelledby="eval-samples-heading" className="space-y-2">
      <h3 id="eval-samples-heading" className="text-sm font-medium text-slate-800">
        Sample answers ({samples.length})
      </h3>
      <ol aria-label="Sample answers" className="space-y-3">
        {shown.map((sample, i) => (
          <li key={i} aria-label={`Sample ${i + 1}`} className="rounded-lg border border-slate-200 p-3 text-sm">
            <div className="mb-2">
              <p className={label}>Prompt</p>
              <p className="whitespace-pre-wrap wrap-anywhere text-slate-800">{promptText(sample.prompt)}</p>
            </div>
            <div className={`grid grid-cols-1 gap-2 ${hasBase ? "md:grid-cols-3" : "md:grid-cols-2"}`}>
              <div className={box} data-testid="sample-reference">
                <p className={label}>Reference</p>
                <p className="whitespace-pre-wrap wrap-anywhere text-slate-700">{sample.reference}</p>
              </div>
              {hasBase && (
                <div className={box} data-testid="sample-base">
                  <p className={label}>Base model</p>
                  <Answer text={sample.base} scores={sample.scores?.base} />
                </div>
              )}
              <div className={box} data-testid="sample-fine-tuned">
                <p className={label}>Fine-tuned</p>
                <Answer text={sample.fine_tuned} scores={sample.scores?.fine_tuned} />
              </div>
            </div>
          </li>
        ))}
      </ol>
      {samples.length > FIRST && (
        <Button variant="secondary" className="py-1 text-xs" aria-expanded={all} onClick={() => setAll((a) => !a)}>
          {all ? `Show the first ${FIRST}` : `Show all ${samples.length} samples`}
        </Button>
      )}
    </section>
  );
}
