import { ProgressBar } from "@/components/ui/ProgressBar";
import type { JobRead } from "@/lib/api/types";
import { formatDuration } from "../lib/format";

/** ETA for a list row: the trainer's last step time × steps left (the job page uses the event stream). */
export function listEta(job: JobRead): number | null {
  const total = job.total_steps;
  if (!total || job.step >= total) return null;
  const stepTime = job.latest_metrics?.step_time_s;
  if (typeof stepTime === "number" && stepTime > 0) return (total - job.step) * stepTime;
  if (job.started_at && job.step > 0) {
    const elapsed = (Date.now() - new Date(job.started_at).getTime()) / 1000;
    return (elapsed / job.step) * (total - job.step);
  }
  return null;
}

export function JobProgress({ job, eta }: { job: JobRead; eta?: number | null }) {
  const total = job.total_steps ?? null;
  const seconds = eta === undefined ? listEta(job) : eta;
  return (
    <div className="min-w-40 space-y-1">
      <ProgressBar value={job.step} max={total} label={`Progress of ${job.name}`} />
      <p className="flex justify-between gap-2 text-xs text-slate-600">
        <span>{total ? `Step ${job.step} of ${total}` : job.status === "queued" ? "Waiting for a worker" : "Starting…"}</span>
        {seconds !== null && <span>ETA {formatDuration(seconds)}</span>}
      </p>
    </div>
  );
}
