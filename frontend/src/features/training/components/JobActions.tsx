import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { useDeleteJob } from "../api/delete-job";
import { useJobAction } from "../api/job-actions";
import type { JobRead } from "../api/types";

/** What the server allows in each status (backend/tuneforge/jobs/service.py). */
export function allowedActions(job: Pick<JobRead, "status" | "last_checkpoint">) {
  const stopped = job.status === "failed" || job.status === "cancelled" || job.status === "interrupted";
  return {
    cancel: job.status === "queued" || job.status === "running" || job.status === "interrupted",
    retry: stopped,
    resume: stopped && Boolean(job.last_checkpoint),
    delete: job.status === "succeeded" || job.status === "failed" || job.status === "cancelled",
  };
}

export function JobActions({ job, canEdit }: { job: JobRead; canEdit: boolean }) {
  const navigate = useNavigate();
  const cancel = useJobAction("cancel");
  const retry = useJobAction("retry");
  const resume = useJobAction("resume");
  const remove = useDeleteJob();
  const [confirming, setConfirming] = useState(false);
  const allowed = allowedActions(job);
  const error = cancel.error ?? retry.error ?? resume.error ?? remove.error;

  if (!canEdit) return null;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        {allowed.cancel && (
          <Button variant="danger" pending={cancel.isPending} onClick={() => cancel.mutate(job.id)}>
            Cancel
          </Button>
        )}
        {allowed.resume && (
          <Button pending={resume.isPending} onClick={() => resume.mutate(job.id)}>
            Resume
          </Button>
        )}
        {allowed.retry && (
          <Button variant="secondary" pending={retry.isPending} onClick={() => retry.mutate(job.id)}>
            Retry
          </Button>
        )}
        <Link
          to={`/training/new?from=${job.id}`}
          className="inline-flex items-center rounded-md bg-white px-3.5 py-2 text-sm font-semibold text-slate-800 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
        >
          Run again with changes
        </Link>
        {allowed.delete && !confirming && (
          <Button variant="danger" onClick={() => setConfirming(true)}>
            Delete
          </Button>
        )}
      </div>
      {confirming && (
        <div role="alertdialog" aria-label="Confirm delete" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm">
          <p className="text-red-800">Delete this job and all its files (checkpoints, adapter, logs)? This cannot be undone.</p>
          <div className="mt-2 flex gap-2">
            <Button
              variant="danger"
              pending={remove.isPending}
              onClick={() => remove.mutate(job, { onSuccess: () => navigate("/training", { replace: true }) })}
            >
              Delete job
            </Button>
            <Button variant="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </Button>
          </div>
        </div>
      )}
      <ErrorAlert error={error} />
    </div>
  );
}
