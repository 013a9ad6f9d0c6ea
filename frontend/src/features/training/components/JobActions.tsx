import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { RoleGate, RoleLink } from "@/components/ui/RoleGate";
import { useDeleteJob } from "../api/delete-job";
import { useJobAction } from "../api/job-actions";
import { credentialsQueryOptions } from "@/lib/api/get-credentials";
import type { JobRead } from "@/lib/api/types";

/** How a saved Modal token is shown (the server's jobs/billing.token_hint): never the secret. */
export function modalTokenHint(last4: string | null | undefined): string | null {
  return last4 ? `ak-…${last4}` : null;
}

/**
 * Retry and Resume of a Modal job run on the Modal token of whoever presses the button
 * (backend/tuneforge/jobs/billing.py): say whose before the click, or why it cannot run.
 */
function useModalBilling(job: JobRead) {
  const modal = job.executor === "modal";
  const credentials = useQuery({ ...credentialsQueryOptions(), enabled: modal });
  const saved = credentials.data?.find((c) => c.provider === "modal" && c.configured);
  return {
    modal,
    known: credentials.isSuccess,
    myHint: modalTokenHint(saved?.last4),
  };
}

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

const runAgainClass =
  "inline-flex items-center rounded-md bg-white px-3.5 py-2 text-sm font-semibold text-slate-800 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50";

export function JobActions({ job, canEdit }: { job: JobRead; canEdit: boolean }) {
  const navigate = useNavigate();
  const cancel = useJobAction("cancel");
  const retry = useJobAction("retry");
  const resume = useJobAction("resume");
  const remove = useDeleteJob();
  const [confirming, setConfirming] = useState(false);
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const allowed = allowedActions(job);
  const error = cancel.error ?? retry.error ?? resume.error ?? remove.error;
  const billing = useModalBilling(job);
  // A Modal job is retried or resumed only on the presser's own token: without one the buttons wait.
  const modalBlocked = billing.modal && !billing.myHint;

  if (!canEdit) return null;
  return (
    <RoleGate needs="member" action="cancel, retry, resume or delete jobs">
      <div className="space-y-2">
        {billing.modal && job.billed_to && (
          <p className="text-sm text-slate-600">
            Billed to {job.billed_to.name}&apos;s Modal token
            {job.billed_to.token_hint ? ` (${job.billed_to.token_hint})` : " (no token saved now)"}.
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          {allowed.cancel && !confirmingCancel && (
            <Button variant="danger" pending={cancel.isPending} onClick={() => setConfirmingCancel(true)}>
              Cancel
            </Button>
          )}
          {allowed.resume && (
            <Button pending={resume.isPending} disabled={modalBlocked} onClick={() => resume.mutate(job.id)}>
              Resume
            </Button>
          )}
          {allowed.retry && (
            <Button variant="secondary" pending={retry.isPending} disabled={modalBlocked} onClick={() => retry.mutate(job.id)}>
              Retry
            </Button>
          )}
          <RoleLink
            needs="member"
            action="launch jobs"
            className={runAgainClass}
            link={
              <Link to={`/training/new?from=${job.id}`} className={runAgainClass}>
                Run again with changes
              </Link>
            }
          >
            Run again with changes
          </RoleLink>
          {allowed.delete && !confirming && (
            <Button variant="danger" onClick={() => setConfirming(true)}>
              Delete
            </Button>
          )}
        </div>
        {billing.modal && (allowed.retry || allowed.resume) && billing.known && (
          <p className="text-sm text-slate-600" data-testid="modal-billing">
            {billing.myHint ? (
              `Runs on Modal with your token (${billing.myHint}).`
            ) : (
              <>
                Retry and Resume run on your own Modal token.{" "}
                <Link to="/settings" className="font-medium text-indigo-700 underline">
                  Add a Modal token in Settings
                </Link>
                .
              </>
            )}
          </p>
        )}
        {confirmingCancel && allowed.cancel && (
          <div role="alertdialog" aria-label="Confirm cancel" className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm">
            <p className="text-amber-900">
              {job.status === "running"
                ? "Cancel this job? It saves a checkpoint you can resume from."
                : "Cancel this job? It has not trained yet, so nothing is lost."}
            </p>
            <div className="mt-2 flex gap-2">
              <Button
                variant="danger"
                pending={cancel.isPending}
                onClick={() => cancel.mutate(job.id, { onSettled: () => setConfirmingCancel(false) })}
              >
                Cancel job
              </Button>
              <Button variant="secondary" onClick={() => setConfirmingCancel(false)}>
                Don&apos;t cancel
              </Button>
            </div>
          </div>
        )}
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
    </RoleGate>
  );
}
