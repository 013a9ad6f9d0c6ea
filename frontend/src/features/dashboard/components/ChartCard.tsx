import { useId, useState, type ReactNode } from "react";

export type TableData = { columns: string[]; rows: ReactNode[][] };

/**
 * One dashboard chart with its numbers: "Table" swaps the chart for an accessible table of the same
 * numbers (for screen readers, for copying, for exact values); "CSV" downloads that table.
 */
export function ChartCard({
  title,
  table,
  onCsv,
  empty,
  children,
}: {
  title: string;
  table: TableData;
  onCsv: () => void;
  /** Shown instead of the chart and the table when there is nothing to plot. */
  empty?: string;
  children: ReactNode;
}) {
  const [asTable, setAsTable] = useState(false);
  const headingId = useId();
  const toggle =
    "rounded-md px-2 py-1 text-xs font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600";
  return (
    <section aria-labelledby={headingId} className="min-w-0 rounded-lg border border-slate-200 p-3">
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
        <h3 id={headingId} className="text-sm font-medium text-slate-800">
          {title}
        </h3>
        <div className="flex gap-2">
          <button
            type="button"
            aria-pressed={asTable}
            aria-label={`Table of ${title}`}
            onClick={() => setAsTable(!asTable)}
            className={`${toggle} ${asTable ? "bg-indigo-50 text-indigo-800" : "bg-white text-slate-700"}`}
          >
            Table
          </button>
          <button type="button" onClick={onCsv} aria-label={`Download CSV of ${title}`} className={`${toggle} bg-white text-slate-700`}>
            CSV
          </button>
        </div>
      </div>
      {empty && table.rows.length === 0 ? (
        <p className="py-6 text-center text-sm text-slate-600">{empty}</p>
      ) : asTable ? (
        <div className="max-h-72 overflow-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{title}</caption>
            <thead className="sticky top-0 bg-white text-xs text-slate-500">
              <tr>
                {table.columns.map((column) => (
                  <th key={column} scope="col" className="px-2 py-1 font-medium">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 text-slate-800">
              {table.rows.map((row, i) => (
                <tr key={i}>
                  {row.map((cell, j) =>
                    j === 0 ? (
                      <th key={j} scope="row" className="px-2 py-1 font-normal">
                        {cell}
                      </th>
                    ) : (
                      <td key={j} className="px-2 py-1 tabular-nums">
                        {cell}
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <figure aria-label={`${title} chart`} className="h-56">
          {children}
        </figure>
      )}
    </section>
  );
}
