import { ErrorAlert } from "@/components/ui/Feedback";
import { formatNumber } from "@/lib/format";
import { useRenderedRow, type RenderedRowQuery } from "../api/get-rendered-row";

/** The row through the chat template and tokenizer; highlighted tokens are the ones the loss is computed on. */
export function RenderedRowView(query: RenderedRowQuery) {
  const rendered = useRenderedRow(query);
  if (rendered.error) return <ErrorAlert error={rendered.error} className="mt-2" />;
  if (!rendered.data) return <p className="mt-2 text-xs text-slate-500">Tokenizing…</p>;
  return (
    <div className="mt-2 space-y-3 rounded-md bg-slate-50 p-3">
      <p className="text-xs text-slate-600">
        As {rendered.data.base_model} sees it.{" "}
        <span className="rounded bg-emerald-200 px-1">Highlighted</span> tokens are trained on; the rest are context.
      </p>
      {rendered.data.segments.map((segment) => (
        <figure key={segment.label}>
          <figcaption className="mb-1 text-xs font-semibold text-slate-700">
            {segment.label}: {formatNumber(segment.trained_tokens)} of {formatNumber(segment.total_tokens)} tokens
            trained{segment.truncated ? `, cut at ${formatNumber(rendered.data.max_length)} tokens` : ""}
          </figcaption>
          <p className="whitespace-pre-wrap break-words font-mono text-xs leading-5">
            {segment.tokens.map((token, index) =>
              // <mark> carries "trained" to assistive technology too, not only as a colour.
              token.trained ? (
                <mark key={index} className="bg-emerald-200 text-emerald-950">
                  {token.text}
                </mark>
              ) : (
                <span key={index} className="text-slate-500">
                  {token.text}
                </span>
              ),
            )}
          </p>
        </figure>
      ))}
    </div>
  );
}
