import { Link } from "react-router";
import { Pill } from "@/components/ui/Pill";
import { ProgressBar } from "@/components/ui/ProgressBar";
import type { JobRead } from "@/lib/api/types";

function eta(job: JobRead): string | null {
  const stepTime = job.latest_metrics?.step_time_s;
  if (!job.total_steps || typeof stepTime !== "number" || job.step >= job.total_steps) return null;
  const s = Math.round((job.total_steps - job.step) * stepTime);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** `hasUsableData`: false while the team has nothing to train on (then the way in is uploading data). */
export function RunningJobs({ jobs, hasUsableData = true }: { jobs: JobRead[]; hasUsableData?: boolean }) {
  if (jobs.length === 0) {
    return hasUsableData ? (
      <p className="text-sm text-slate-600">
        Nothing is running. <Link to="/training/new" className="text-indigo-700 underline">Start a training job</Link>.
      </p>
    ) : (
      <p className="text-sm text-slate-600">
        Nothing is running. Training needs data first:{" "}
        <Link to="/datasets" className="text-indigo-700 underline">upload a dataset</Link>.
      </p>
    );
  }
  return (
    <ul className="divide-y divide-slate-100">
      {jobs.map((job) => {
        const left = eta(job);
        return (
          <li key={job.id} className="space-y-1 py-3">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <Link to={`/training/${job.id}`} className="font-medium text-indigo-700 hover:underline">
                {job.name}
              </Link>
              <Pill tone={job.status === "running" ? "info" : "neutral"}>{job.status}</Pill>
            </div>
            <ProgressBar value={job.step} max={job.total_steps} label={`Progress of ${job.name}`} />
            <p className="flex justify-between text-xs text-slate-600">
              <span>{job.total_steps ? `Step ${job.step} of ${job.total_steps}` : job.status === "queued" ? "Waiting for a worker" : "Starting…"}</span>
              {left && <span>ETA {left}</span>}
            </p>
          </li>
        );
      })}
    </ul>
  );
}
