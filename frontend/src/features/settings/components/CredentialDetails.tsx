import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { cn } from "@/components/ui/cn";
import { ErrorAlert, Notice, StatusMessage } from "@/components/ui/Feedback";
import type { CredentialRead } from "@/lib/api/types";
import { useDeleteCredential } from "../api/delete-credential";
import { useValidateCredential } from "../api/validate-credential";

const statusBadges = {
  valid: { label: "Verified", className: "bg-emerald-50 text-emerald-800 ring-emerald-200" },
  invalid: { label: "Rejected", className: "bg-red-50 text-red-800 ring-red-200" },
  unverified: { label: "Not verified", className: "bg-amber-50 text-amber-800 ring-amber-200" },
} as const;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function Timestamp({ value }: { value: string }) {
  const date = new Date(value);
  return <time dateTime={value}>{Number.isNaN(date.getTime()) ? value : dateFormat.format(date)}</time>;
}

/** What is stored for a configured token (never the token itself), with validate and delete. */
export function CredentialDetails({
  credential,
  label,
  onDeleted,
}: {
  credential: CredentialRead;
  label: string;
  onDeleted: () => void;
}) {
  const [feedback, setFeedback] = useState<string | null>(null);
  const [justChecked, setJustChecked] = useState(false);
  const validate = useValidateCredential(credential.provider);
  const remove = useDeleteCredential(credential.provider);
  const badge = credential.status ? statusBadges[credential.status] : null;

  function runValidation() {
    setFeedback(null);
    setJustChecked(false);
    remove.reset();
    validate.mutate(undefined, {
      onSuccess: (result) => {
        // Only a verification is a success; otherwise the outcome below says what happened and why.
        setFeedback(result.status === "valid" ? `${label} verified.` : null);
        setJustChecked(result.status !== "valid");
      },
    });
  }

  function runDelete() {
    setFeedback(null);
    validate.reset();
    remove.mutate(undefined, { onSuccess: onDeleted });
  }

  return (
    <div className="space-y-3 rounded-lg bg-slate-50 p-4">
      <div className="flex flex-wrap items-center gap-2">
        <p className="font-mono text-sm text-slate-900">Saved token ending in {credential.last4}</p>
        {badge && (
          <span className={cn("rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset", badge.className)}>
            {badge.label}
          </span>
        )}
      </div>
      <Outcome credential={credential} label={label} justChecked={justChecked} />
      <dl className="flex flex-wrap gap-x-6 gap-y-1 text-xs text-slate-500">
        {credential.saved_at && (
          <div className="flex gap-1">
            <dt>Saved</dt>
            <dd>
              <Timestamp value={credential.saved_at} />
            </dd>
          </div>
        )}
        {credential.verified_at && (
          <div className="flex gap-1">
            <dt>Last verified</dt>
            <dd>
              <Timestamp value={credential.verified_at} />
            </dd>
          </div>
        )}
      </dl>
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" onClick={runValidation} pending={validate.isPending}>
          Validate {label}
        </Button>
        <Button variant="danger" onClick={runDelete} pending={remove.isPending}>
          Delete {label}
        </Button>
      </div>
      <ErrorAlert error={validate.error ?? remove.error} />
      <StatusMessage>{feedback}</StatusMessage>
    </div>
  );
}

/**
 * What the last check found, styled for what it is: verified (a plain line; the badge is green),
 * saved but not verified (a warning with why), rejected (an error with what to do).
 */
function Outcome({ credential, label, justChecked }: { credential: CredentialRead; label: string; justChecked: boolean }) {
  const checked = justChecked ? "Checked just now. " : "";
  if (credential.status === "valid") {
    const text = credential.message ?? (credential.username ? `Verified as ${credential.username}` : "Verified.");
    return <p className="text-sm text-slate-700">{text}</p>;
  }
  if (credential.status === "invalid") {
    return <ErrorAlert error={`${checked}${credential.message ?? `${label} was rejected: save a new one.`}`} />;
  }
  return (
    <Notice tone="warning">
      {checked}
      {credential.message ?? "Saved, but not verified yet. Press Validate to check it."}
    </Notice>
  );
}
