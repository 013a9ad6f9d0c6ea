import { formatDateTime } from "@/lib/format";
import type { StatusEntry } from "../lib/job-stream";
import { JobStatusBadge } from "./JobStatusBadge";

export function StatusTimeline({ statuses }: { statuses: StatusEntry[] }) {
  if (statuses.length === 0) return <p className="text-sm text-slate-600">No status changes yet.</p>;
  return (
    <ol aria-label="Status timeline" className="relative space-y-3 border-l border-slate-200 pl-4">
      {statuses.map((entry) => (
        <li key={entry.seq} className="relative">
          <span aria-hidden="true" className="absolute -left-[1.3rem] top-1.5 size-2.5 rounded-full bg-indigo-500 ring-2 ring-white" />
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <JobStatusBadge status={entry.status} />
            {entry.at && <time className="text-xs text-slate-500" dateTime={entry.at}>{formatDateTime(entry.at)}</time>}
            {entry.attempt > 0 && <span className="text-xs text-slate-500">attempt {entry.attempt}</span>}
          </div>
          {entry.message && <p className="mt-0.5 text-sm text-slate-700">{entry.message}</p>}
          {entry.hint && <p className="text-xs text-slate-500">{entry.hint}</p>}
        </li>
      ))}
    </ol>
  );
}
