import { useState } from "react";
import { cn } from "@/components/ui/cn";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { BASE_MODELS, type BaseModelName } from "../api/get-rendered-row";
import { useRows } from "../api/list-rows";
import { IssueItem, Pager } from "./IssuesPanel";
import { RenderedRowView } from "./RenderedRowView";
import { RowView } from "./RowView";

const PAGE = 20;

export function PreviewPanel({
  teamId,
  datasetId,
  versionId,
  splits,
  tokenizer,
}: {
  teamId: string;
  datasetId: string;
  versionId: string;
  splits: string[];
  /** The base model the version's tokens were counted with: the preview renders with it first. */
  tokenizer?: string;
}) {
  const [split, setSplit] = useState(splits[0] ?? "rows");
  const [baseModel, setBaseModel] = useState<BaseModelName>(
    BASE_MODELS.find((name) => name === tokenizer) ?? "tiny-llama",
  );
  const [offset, setOffset] = useState(0);
  const [tokensFor, setTokensFor] = useState<number | null>(null);
  const rows = useRows({ teamId, datasetId, versionId, split, offset, limit: PAGE });

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
          <ol className="space-y-3">
            {rows.data.items.map((item) => (
              <li
                key={item.row}
                aria-label={`Row ${item.row}`}
                className={cn(
                  "rounded-lg border p-3",
                  item.invalid || item.issues.some((i) => i.severity === "error") ? "border-red-200 bg-red-50/40" : "border-slate-200",
                )}
              >
                <div className="mb-2 text-xs font-semibold text-slate-500">Row {item.row}</div>
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
              </li>
            ))}
          </ol>
          {rows.data.total > PAGE && (
            <Pager offset={offset} limit={PAGE} total={rows.data.total} onChange={setOffset} label="rows" />
          )}
        </>
      )}
    </Card>
  );
}
