import { useEffect, useRef, useState } from "react";
import { cn } from "@/components/ui/cn";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { BASE_MODELS, type BaseModelName } from "../api/get-rendered-row";
import { useRows } from "../api/list-rows";
import { IssueItem, Pager } from "./IssuesPanel";
import { RenderedRowView } from "./RenderedRowView";
import { RowView, rowSummary } from "./RowView";

const PAGE = 20;

/** A request to show one row (from the issue list); `seq` makes a second click on the same row count. */
export type RowFocus = { row: number; seq: number };

export function PreviewPanel({
  teamId,
  datasetId,
  versionId,
  splits,
  tokenizer,
  focus,
}: {
  teamId: string;
  datasetId: string;
  versionId: string;
  splits: string[];
  /** The base model the version's tokens were counted with: the preview renders with it first. */
  tokenizer?: string;
  /** Show this row of the unsplit rows: its page, opened, scrolled into view. */
  focus?: RowFocus | null;
}) {
  const [split, setSplit] = useState(splits[0] ?? "rows");
  const [baseModel, setBaseModel] = useState<BaseModelName>(
    BASE_MODELS.find((name) => name === tokenizer) ?? "tiny-llama",
  );
  const [offset, setOffset] = useState(0);
  const [tokensFor, setTokensFor] = useState<number | null>(null);
  const [expanded, setExpanded] = useState<Set<number>>(() => new Set());
  const rows = useRows({ teamId, datasetId, versionId, split, offset, limit: PAGE });
  const list = useRef<HTMLOListElement>(null);
  const toggle = (row: number) =>
    setExpanded((all) => {
      const next = new Set(all);
      if (next.has(row)) next.delete(row);
      else next.add(row);
      return next;
    });

  useEffect(() => {
    if (!focus) return;
    setOffset(Math.floor((focus.row - 1) / PAGE) * PAGE);
    setExpanded((all) => new Set(all).add(focus.row));
  }, [focus]);
  const shown = rows.data?.items.some((item) => item.row === focus?.row) && !rows.isPlaceholderData;
  useEffect(() => {
    if (!focus || !shown) return;
    const item = list.current?.querySelector<HTMLElement>(`[data-row="${focus.row}"]`);
    item?.scrollIntoView?.({ block: "start", behavior: "smooth" });
    item?.querySelector<HTMLElement>("button")?.focus({ preventScroll: true });
  }, [focus, shown]);

  return (
    <Card title="Preview" description="Rows as TuneForge will train on them; problem rows are marked.">
      <div className="mb-3 flex flex-wrap items-center gap-4 text-sm">
        <div className="flex items-center gap-2">
          <label htmlFor={`render-${versionId}`} className="text-slate-700">
            Render with
          </label>
          <select
            id={`render-${versionId}`}
            value={baseModel}
            onChange={(e) => setBaseModel(e.target.value as BaseModelName)}
            className="rounded-md border-0 bg-white py-1.5 pl-2 pr-8 text-sm ring-1 ring-inset ring-slate-300"
          >
            {BASE_MODELS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      {splits.length > 1 && (
        <div className="flex items-center gap-2">
          <label htmlFor={`split-${versionId}`} className="text-slate-700">
            Split
          </label>
          <select
            id={`split-${versionId}`}
            value={split}
            onChange={(e) => {
              setSplit(e.target.value);
              setOffset(0);
            }}
            className="rounded-md border-0 bg-white py-1.5 pl-2 pr-8 text-sm ring-1 ring-inset ring-slate-300"
          >
            {splits.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      )}
      </div>
      <ErrorAlert error={rows.error} />
      {rows.data && (
        <>
          <ol ref={list} className="space-y-1.5">
            {rows.data.items.map((item) => {
              const open = expanded.has(item.row);
              const errors = item.issues.filter((i) => i.severity === "error").length;
              const warnings = item.issues.length - errors;
              return (
              <li
                key={item.row}
                data-row={item.row}
                aria-label={`Row ${item.row}`}
                className={cn(
                  "scroll-mt-4 rounded-lg border",
                  item.invalid || errors > 0 ? "border-red-200 bg-red-50/40" : "border-slate-200",
                  focus?.row === item.row && "ring-2 ring-indigo-400",
                )}
              >
                <button
                  type="button"
                  aria-expanded={open}
                  onClick={() => toggle(item.row)}
                  className="flex w-full items-center gap-2 px-3 py-2 text-left text-sm"
                >
                  <span aria-hidden className="w-3 text-slate-400">
                    {open ? "▾" : "▸"}
                  </span>
                  <span className="shrink-0 text-xs font-semibold text-slate-500">Row {item.row}</span>
                  <span className={cn("min-w-0 flex-1 truncate", item.invalid ? "text-red-900" : "text-slate-700")}>
                    {rowSummary(item.invalid ? item.raw : item.normalized)}
                  </span>
                  {errors > 0 && <span className="shrink-0 text-xs font-medium text-red-700">{errors === 1 ? "1 error" : `${errors} errors`}</span>}
                  {warnings > 0 && (
                    <span className="shrink-0 text-xs font-medium text-amber-700">{warnings === 1 ? "1 warning" : `${warnings} warnings`}</span>
                  )}
                </button>
                {open && (
                <div className="border-t border-slate-100 p-3">
                {item.invalid ? (
                  <pre className="overflow-x-auto whitespace-pre-wrap break-words text-xs text-red-900">
                    {typeof item.raw === "string" ? item.raw : JSON.stringify(item.raw, null, 2)}
                  </pre>
                ) : item.raw != null ? (
                  // Raw and normalised side by side: what was uploaded, and what training will see.
                  <div className="grid gap-3 md:grid-cols-2">
                    <div>
                      <div className="mb-1 text-xs font-medium text-slate-500">As uploaded</div>
                      <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2 text-xs text-slate-700">
                        {typeof item.raw === "string" ? item.raw : JSON.stringify(item.raw, null, 2)}
                      </pre>
                    </div>
                    <div>
                      <div className="mb-1 text-xs font-medium text-slate-500">Normalised</div>
                      <RowView row={item.normalized} />
                    </div>
                  </div>
                ) : (
                  <RowView row={item.normalized} />
                )}
                {!item.invalid && (
                  <button
                    type="button"
                    className="mt-2 text-xs font-semibold text-indigo-600 hover:underline"
                    aria-expanded={tokensFor === item.row}
                    onClick={() => setTokensFor(tokensFor === item.row ? null : item.row)}
                  >
                    {tokensFor === item.row ? `Hide tokens for row ${item.row}` : `Show tokens for row ${item.row}`}
                  </button>
                )}
                {tokensFor === item.row && (
                  <RenderedRowView
                    teamId={teamId}
                    datasetId={datasetId}
                    versionId={versionId}
                    row={item.row}
                    split={split}
                    baseModel={baseModel}
                  />
                )}
                {item.issues.length > 0 && (
                  <ul className="mt-2 divide-y divide-slate-100">
                    {item.issues.map((issue, index) => (
                      <IssueItem key={index} issue={issue} />
                    ))}
                  </ul>
                )}
                </div>
                )}
              </li>
              );
            })}
          </ol>
          {rows.data.total > PAGE && (
            <Pager offset={offset} limit={PAGE} total={rows.data.total} onChange={setOffset} label="rows" />
          )}
        </>
      )}
    </Card>
  );
}
