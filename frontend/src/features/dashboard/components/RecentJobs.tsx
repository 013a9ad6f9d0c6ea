import { Link } from "react-router";
import { Pill, type PillTone } from "@/components/ui/Pill";
import { formatDateTime } from "@/lib/format";
import type { TeamAnalytics } from "@/lib/api/types";

const STATUS_TONE: Record<string, PillTone> = {
  succeeded: "success",
  failed: "danger",
  running: "info",
  cancelling: "warning",
  interrupted: "warning",
};

/** The period's last jobs; the dashboard patches their status from the team feed as it changes. */
export function RecentJobs({ jobs }: { jobs: TeamAnalytics["recent_jobs"] }) {
  if (jobs.length === 0) return <p className="text-sm text-slate-600">No jobs in this period.</p>;
  return (
    <ul aria-label="Recent jobs" className="divide-y divide-slate-100 text-sm">
      {jobs.map((job) => (
        <li key={job.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
          <span className="min-w-0">
            <Link to={`/training/${job.id}`} className="font-medium text-indigo-700 hover:text-indigo-900">
              {job.name}
            </Link>{" "}
            <span className="text-xs text-slate-600">
              {job.method.toUpperCase()} · {formatDateTime(job.created_at)}
            </span>
          </span>
          <Pill tone={STATUS_TONE[job.status] ?? "neutral"}>{job.status}</Pill>
        </li>
      ))}
    </ul>
  );
}
