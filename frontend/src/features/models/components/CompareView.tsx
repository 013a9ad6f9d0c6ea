import { lazy, Suspense, useState } from "react";
import { Link } from "react-router";
import { Checkbox } from "@/components/ui/Checkbox";
import { Card } from "@/components/ui/Page";
import type { CompareRead, CompareRow } from "@/lib/api/types";
import { formatValue, visibleRows } from "../lib";

const LossCurvesChart = lazy(() => import("./LossCurvesChart").then((m) => ({ default: m.LossCurvesChart })));

// `missing`: what an absent value means in this table (a setting left out of a spec is its default).
function RowsTable(
  { data, rows, label, column, missing }: { data: CompareRead; rows: CompareRow[]; label: string; column: string; missing: string },
) {
  if (rows.length === 0) return <p className="text-sm text-slate-600">Nothing differs.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full text-sm" aria-label={label}>
        <thead>
          <tr className="text-left text-slate-600">
            <th className="py-1 pr-4 font-medium">{column}</th>
            {data.versions.map((v) => (
              <th key={v.id} className="py-1 pr-4 font-medium">
                <Link className="text-indigo-700 hover:underline" to={`/models/versions/${v.id}`}>
                  {v.model_name} v{v.number}
                </Link>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} className={row.differs ? "bg-amber-50" : undefined}>
              <td className="py-1 pr-4 font-mono text-xs text-slate-700">{row.key}</td>
              {row.values.map((value, index) => (
                <td key={index} className="py-1 pr-4 font-mono text-xs">
                  {value === null || value === undefined ? missing : formatValue(value)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Two or more versions side by side: configuration, metrics, loss curves, evaluation answers. */
export function CompareView({ data }: { data: CompareRead }) {
  const [differencesOnly, setDifferencesOnly] = useState(true);
  return (
    <div className="space-y-6">
      <Checkbox
        label="Differences only"
        checked={differencesOnly}
        onChange={setDifferencesOnly}
        hint="Hide the settings and metrics that are the same in every version."
      />
      <Card title="Configuration">
        <RowsTable data={data} rows={visibleRows(data.config, differencesOnly)} label="Configuration" column="Setting" missing="default" />
      </Card>
      <Card title="Metrics">
        <RowsTable data={data} rows={visibleRows(data.metrics, differencesOnly)} label="Metrics" column="Metric" missing="—" />
      </Card>
      <Card title="Loss curves" description="Train loss solid, eval loss dashed.">
        <Suspense fallback={<p className="text-sm text-slate-600">Loading charts…</p>}>
          <LossCurvesChart data={data} />
        </Suspense>
      </Card>
      <Card title="Evaluation answers">
        {data.evaluation.length === 0 ? (
          <p className="text-sm text-slate-600">None of these versions has an evaluation report.</p>
        ) : (
          <div className="space-y-4">
            {data.evaluation.map((item) => (
              <div key={item.prompt} className="rounded border border-slate-200 p-3">
                <p className="text-sm font-medium text-slate-900">{item.prompt}</p>
                {item.reference != null && <p className="text-xs text-slate-600">Reference: {item.reference}</p>}
                <div className="mt-2 grid gap-2" style={{ gridTemplateColumns: `repeat(${data.versions.length}, minmax(0, 1fr))` }}>
                  {item.answers.map((answer, index) => (
                    <div key={data.versions[index]!.id} className="text-sm">
                      <p className="text-xs font-medium text-slate-500">
                        {data.versions[index]!.model_name} v{data.versions[index]!.number}
                      </p>
                      <p className="whitespace-pre-wrap">{answer ?? "—"}</p>
                    </div>
                  ))}
                </div>
              </div>
            ))}
          </div>
        )}
      </Card>
    </div>
  );
}
