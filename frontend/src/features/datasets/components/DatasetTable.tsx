import { Link } from "react-router";
import { Pill } from "@/components/ui/Pill";
import type { DatasetRead } from "@/lib/api/types";
import { formatDateTime, formatNumber } from "@/lib/format";
import { StatusBadge } from "./StatusBadge";

function formatTitle(dataset: DatasetRead): string {
  const detection = dataset.latest_version?.detection as { title?: unknown } | undefined;
  return typeof detection?.title === "string" ? detection.title : (dataset.latest_version?.kind ?? "—");
}

export function DatasetTable({ datasets }: { datasets: DatasetRead[] }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className="px-4 py-3">Name</th>
            <th scope="col" className="px-4 py-3">Format</th>
            <th scope="col" className="px-4 py-3 text-right">Rows</th>
            <th scope="col" className="px-4 py-3">Status</th>
            <th scope="col" className="px-4 py-3 text-right">Versions</th>
            <th scope="col" className="px-4 py-3">Updated</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {datasets.map((dataset) => (
            <tr key={dataset.id}>
              <td className="px-4 py-3 font-medium">
                <Link to={`/datasets/${dataset.id}`} className="text-indigo-700 hover:underline">
                  {dataset.name}
                </Link>
                {dataset.archived && <Pill className="ml-2">Archived</Pill>}
                {dataset.description && <p className="mt-0.5 max-w-md truncate text-xs font-normal text-slate-500">{dataset.description}</p>}
              </td>
              <td className="px-4 py-3 text-slate-700">{formatTitle(dataset)}</td>
              <td className="px-4 py-3 text-right tabular-nums">
                {dataset.latest_version ? formatNumber(dataset.latest_version.rows) : "—"}
              </td>
              <td className="px-4 py-3">{dataset.latest_version && <StatusBadge status={dataset.latest_version.status} />}</td>
              <td className="px-4 py-3 text-right tabular-nums">{dataset.versions}</td>
              <td className="px-4 py-3 text-slate-600">{formatDateTime(dataset.updated_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
