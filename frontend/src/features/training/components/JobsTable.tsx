import { Link } from "react-router";
import { formatDateTime } from "@/lib/format";
import type { JobRead } from "@/lib/api/types";
import { JobProgress } from "./JobProgress";
import { JobStatusBadge } from "./JobStatusBadge";

export function JobsTable({ jobs, total }: { jobs: JobRead[]; total: number }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <caption className="sr-only">Training jobs ({total})</caption>
        <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className="px-4 py-3">Job</th>
            <th scope="col" className="px-4 py-3">Status</th>
            <th scope="col" className="px-4 py-3">Progress</th>
            <th scope="col" className="hidden px-4 py-3 md:table-cell">Launched</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {jobs.map((job) => (
            <tr key={job.id} className="align-top">
              <td className="px-4 py-3">
                <Link to={`/training/${job.id}`} className="font-medium text-indigo-700 hover:underline">
                  {job.name}
                </Link>
                <p className="text-xs text-slate-500">
                  {job.method.toUpperCase()} · {job.adapter} · {job.base_model}
                  {job.executor === "modal" ? ` · Modal ${job.gpu_type ?? ""}` : job.worker_name ? ` · ${job.worker_name}` : ""}
                </p>
              </td>
              <td className="px-4 py-3">
                <JobStatusBadge status={job.status} />
              </td>
              <td className="px-4 py-3">
                {job.status === "running" || job.status === "cancelling" || job.status === "queued" ? (
                  <JobProgress job={job} />
                ) : (
                  <span className="text-xs text-slate-600">
                    {job.total_steps ? `${job.step} of ${job.total_steps} steps` : "—"}
                  </span>
                )}
              </td>
              <td className="hidden px-4 py-3 text-xs text-slate-600 md:table-cell">
                {job.created_by_name ?? "—"}
                <br />
                {formatDateTime(job.created_at)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > jobs.length && (
        <p className="border-t border-slate-100 px-4 py-2 text-xs text-slate-500">
          Showing the {jobs.length} most recent of {total} jobs.
        </p>
      )}
    </div>
  );
}
