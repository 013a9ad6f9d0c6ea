import { useId, useState } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Pill, type PillTone } from "@/components/ui/Pill";
import { ProgressBar } from "@/components/ui/ProgressBar";
import { RoleGate } from "@/components/ui/RoleGate";
import type { PublicationRead, PublicationStatus, PublicationTarget, PublishedFile } from "@/lib/api/types";
import { formatBytes, formatDateTime } from "@/lib/format";
import {
  downloadPublicationFile,
  publicationInProgress,
  useCancelPublication,
  useDeletePublication,
  usePublication,
  usePublications,
} from "../../api/publishing";
import { PublishProblem } from "./PublishProblem";
import {
  firstDisagreement,
  mergeCheckInWords,
  progressCounts,
  progressInWords,
  shortSha,
  statusInWords,
  TARGET_LABELS,
  verificationSummary,
} from "./words";

const TONES: Record<PublicationStatus, PillTone> = {
  queued: "neutral",
  running: "info",
  succeeded: "success",
  failed: "danger",
  cancelled: "warning",
};

function TargetIcon({ target }: { target: PublicationTarget }) {
  const common = { "aria-hidden": true, viewBox: "0 0 24 24", className: "size-5 shrink-0 text-indigo-700", fill: "none", stroke: "currentColor", strokeWidth: 1.8 } as const;
  if (target === "hub") {
    // a cloud with an arrow up
    return (
      <svg {...common}>
        <path d="M7 18a4.5 4.5 0 0 1-.6-8.96A6 6 0 0 1 18 9.5a4 4 0 0 1-1 7.9" strokeLinecap="round" />
        <path d="M12 20v-8m-3 3 3-3 3 3" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    );
  }
  if (target === "ollama") {
    // a server
    return (
      <svg {...common}>
        <rect x="4" y="4" width="16" height="7" rx="1.5" />
        <rect x="4" y="13" width="16" height="7" rx="1.5" />
        <path d="M8 7.5h.01M8 16.5h.01" strokeLinecap="round" strokeWidth={2.5} />
      </svg>
    );
  }
  // a file
  return (
    <svg {...common}>
      <path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z" strokeLinejoin="round" />
      <path d="M14 3v5h5" strokeLinejoin="round" />
    </svg>
  );
}

/** The "Publishing history" card of a model version: one entry per publication, newest first. */
export function PublishingHistory({ versionId, canEdit }: { versionId: string; canEdit: boolean }) {
  const history = usePublications(versionId);
  if (history.isPending) return <p className="text-sm text-slate-600">Loading the publishing history…</p>;
  if (history.isError) return <PublishProblem error={history.error} />;
  if (history.data.length === 0) {
    return <p className="text-sm text-slate-600">Not published yet. Publish it to the Hugging Face Hub, to Ollama or as GGUF files.</p>;
  }
  return (
    <ol aria-label="Publications" className="space-y-4">
      {history.data.map((publication) => (
        <PublicationItem key={publication.id} publication={publication} versionId={versionId} canEdit={canEdit} />
      ))}
    </ol>
  );
}

function title(p: Pick<PublicationRead, "target" | "created_at">): string {
  return `${TARGET_LABELS[p.target]}, ${formatDateTime(p.created_at)}`;
}

function PublicationItem({ publication: fromHistory, versionId, canEdit }: { publication: PublicationRead; versionId: string; canEdit: boolean }) {
  const { data } = usePublication(fromHistory);
  const p = data ?? fromHistory;
  const cancel = useCancelPublication(versionId);
  const remove = useDeletePublication(versionId);
  const [confirming, setConfirming] = useState(false);
  const running = publicationInProgress(p);
  const name = title(p);
  const counts = progressCounts(p);
  return (
    <li aria-label={name} className="min-w-0 rounded-lg border border-slate-200 p-4">
      <div className="flex items-start justify-between gap-2">
        <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1 pt-1">
          <TargetIcon target={p.target} />
          <h3 className="text-sm font-semibold text-slate-900">{TARGET_LABELS[p.target]}</h3>
          <Pill tone={TONES[p.status]}>{statusInWords(p.status)}</Pill>
        </div>
        {canEdit && (
          <RoleGate needs="member" action="cancel or delete publications" className="shrink-0">
            <div className="flex shrink-0 flex-wrap justify-end gap-2">
              {running && (
                <Button
                  variant="danger"
                  className="px-2.5 py-1"
                  aria-label={`Cancel publication to ${name}`}
                  pending={cancel.isPending}
                  onClick={() => cancel.mutate(p.id)}
                >
                  Cancel
                </Button>
              )}
              {!running && !confirming && (
                <Button variant="secondary" className="px-2.5 py-1" aria-label={`Delete publication to ${name}`} onClick={() => setConfirming(true)}>
                  Delete
                </Button>
              )}
            </div>
          </RoleGate>
        )}
      </div>
      <p className="mt-1 text-xs text-slate-600">
        {formatDateTime(p.created_at)}
        {p.user_name && ` · by ${p.user_name}`}
        {p.credential === "yours" && " with their Hugging Face token"}
        {p.worker_name && ` · worker ${p.worker_name}`}
        {p.finished_at && ` · finished ${formatDateTime(p.finished_at)}`}
      </p>

      {confirming && !running && (
        <div role="alertdialog" aria-label="Confirm delete" className="mt-3 rounded-md border border-red-200 bg-red-50 p-3 text-sm">
          <p className="text-red-800">
            Delete this publication from the history{p.files.length ? ", with its files" : ""}? What was published to the
            Hub or to Ollama stays there.
          </p>
          <div className="mt-2 flex flex-wrap gap-2">
            <Button variant="danger" pending={remove.isPending} onClick={() => remove.mutate(p.id, { onSettled: () => setConfirming(false) })}>
              Delete publication
            </Button>
            <Button variant="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </Button>
          </div>
        </div>
      )}

      {running && (
        <div className="mt-3 space-y-1">
          <ProgressBar label={`Progress of ${name}`} value={counts.done} max={counts.total} />
          <p className="text-sm text-slate-700" aria-live="polite">
            {progressInWords(p)}
          </p>
        </div>
      )}

      <Where publication={p} />
      <Checks publication={p} />

      {p.status === "failed" && (
        <div className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          <p className="font-semibold">Publishing failed</p>
          <p className="whitespace-pre-wrap break-words">{p.error ?? "No reason was recorded."}</p>
        </div>
      )}
      {p.status === "cancelled" && <p className="mt-3 text-sm text-slate-700">Cancelled: nothing half-made was kept.</p>}

      {p.files.length > 0 && <Files publication={p} />}
      <ErrorAlert error={cancel.error} className="mt-3" />
      <PublishProblem error={remove.error} className="mt-3" />
    </li>
  );
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value ? value : undefined;
}

/** Where it went: the Hub repository (a link, and the upload's commit), or the Ollama model's name on its server. */
function Where({ publication: p }: { publication: PublicationRead }) {
  if (!p.link) return null;
  if (p.target === "hub") {
    // The repository (the link may name the upload's commit on it: …/<owner>/<name>/commit/<sha>).
    const repoUrl = /^https?:\/\//.test(p.link) ? p.link.replace(/\/commit\/[0-9a-f]+\/?$/, "") : null;
    const repoId = stringOf(p.result.repo_id) ?? stringOf(p.options.repo_id) ?? repoUrl?.replace(/^https?:\/\/[^/]+\//, "");
    const commit = stringOf(p.result.commit);
    return (
      <p className="mt-3 break-words text-sm text-slate-800">
        On the Hub:{" "}
        {repoUrl ? (
          <a href={repoUrl} target="_blank" rel="noreferrer" className="break-all font-medium text-indigo-700 underline">
            {repoId}
            <span className="sr-only"> (opens in a new tab)</span>
          </a>
        ) : (
          <span className="break-all">{p.link}</span>
        )}
        {p.options.private === true && " (private)"}
        {repoUrl && commit && (
          <>
            {" "}
            <span className="whitespace-nowrap">
              {"· "}
              <a href={`${repoUrl}/commit/${commit}`} target="_blank" rel="noreferrer" className="text-indigo-700 underline">
                commit <code className="font-mono">{commit.slice(0, 7)}</code>
                <span className="sr-only"> (opens in a new tab)</span>
              </a>
            </span>
          </>
        )}
      </p>
    );
  }
  const name = typeof p.options.name === "string" ? p.options.name : null;
  return (
    <div className="mt-3 text-sm text-slate-800">
      <p className="break-all">On Ollama: {p.link}</p>
      {name && p.status === "succeeded" && (
        <p className="mt-0.5 break-all text-xs text-slate-600">
          Run it: <code className="rounded bg-slate-100 px-1 text-slate-800">ollama run {name}</code>
        </p>
      )}
    </div>
  );
}

/** The checks in words: answers compared, the first disagreement side by side, the merge check. */
function Checks({ publication: p }: { publication: PublicationRead }) {
  const summary = verificationSummary(p.verification);
  const disagreement = firstDisagreement(p.verification);
  const merge = mergeCheckInWords(p.merge_check);
  const captionId = useId();
  if (!summary && !disagreement && !merge) return null;
  return (
    <div className="mt-3 space-y-2 text-sm">
      {summary && (
        <div>
          <p className={summary.ok === false ? "font-semibold text-red-800" : "font-semibold text-emerald-800"}>{summary.headline}</p>
          {summary.exact && <p className="text-xs text-slate-600">{summary.exact}.</p>}
          {summary.byType.length > 0 && (
            <ul aria-label="By GGUF type" className="mt-1 list-disc pl-5 text-slate-800">
              {summary.byType.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          )}
          {summary.tokenizerDiffers && (
            <p className="text-xs text-amber-800">The GGUF's own tokenizer splits the check prompts differently from the original's.</p>
          )}
        </div>
      )}
      {disagreement && (
        <figure aria-labelledby={captionId} className="rounded-md border border-slate-200 bg-slate-50 p-3">
          <figcaption id={captionId} className="text-xs font-semibold uppercase tracking-wide text-slate-600">
            First disagreement
          </figcaption>
          <p className="mt-1 whitespace-pre-wrap break-words text-slate-900">
            <span className="font-medium text-slate-700">Prompt: </span>
            {disagreement.prompt}
          </p>
          <div className="mt-2 grid gap-3 sm:grid-cols-2">
            <div className="min-w-0 rounded border border-slate-200 bg-white p-2">
              <p className="text-xs font-semibold text-slate-700">TuneForge's answer</p>
              <p className="mt-1 whitespace-pre-wrap break-words text-slate-900">{disagreement.ours || "(empty)"}</p>
            </div>
            <div className="min-w-0 rounded border border-slate-200 bg-white p-2">
              <p className="text-xs font-semibold text-slate-700">{disagreement.theirsLabel}</p>
              <p className="mt-1 whitespace-pre-wrap break-words text-slate-900">{disagreement.theirs || "(empty)"}</p>
            </div>
          </div>
          {disagreement.note && <p className="mt-2 text-xs text-amber-800">{disagreement.note}</p>}
        </figure>
      )}
      {merge && <p className={merge.ok ? "text-slate-800" : "font-semibold text-red-800"}>{merge.text}</p>}
    </div>
  );
}

function Files({ publication: p }: { publication: PublicationRead }) {
  const [error, setError] = useState<unknown>(null);
  const [copied, setCopied] = useState<string | null>(null);
  async function copy(file: PublishedFile) {
    try {
      await navigator.clipboard.writeText(file.sha256);
      setCopied(file.name);
      setTimeout(() => setCopied(null), 2_000);
    } catch {
      setCopied(null);
    }
  }
  return (
    <div className="mt-3">
      <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-600">Files</h4>
      <ul aria-label="Files" className="mt-1 divide-y divide-slate-100 text-sm">
        {p.files.map((file) => {
          const modelfile = file.name === "Modelfile";
          return (
            <li key={file.name} className="flex min-w-0 flex-wrap items-center justify-between gap-x-3 gap-y-1 py-2">
              <div className="min-w-0">
                {/* The name breaks only when it alone is too long; the type and size wrap whole, after it. */}
                <p className="break-words font-medium text-slate-900">
                  {file.name}
                  {file.quant_type && (
                    <>
                      {" "}
                      <span className="whitespace-nowrap font-normal text-slate-600">· {file.quant_type}</span>
                    </>
                  )}{" "}
                  <span className="whitespace-nowrap font-normal text-slate-600">· {formatBytes(file.size_bytes)}</span>
                </p>
                {modelfile && <p className="text-xs text-slate-600">For `ollama create` with the GGUF next to it.</p>}
                <p className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
                  <span>
                    sha256{" "}
                    <code title={file.sha256} className="font-mono text-slate-800">
                      {shortSha(file.sha256)}
                    </code>
                  </span>
                  <button
                    type="button"
                    className="rounded text-indigo-700 underline hover:text-indigo-900"
                    aria-label={`${copied === file.name ? "Copied" : "Copy"} the sha256 of ${file.name}`}
                    onClick={() => void copy(file)}
                  >
                    {copied === file.name ? "Copied" : "Copy"}
                  </button>
                </p>
              </div>
              <Button
                variant="secondary"
                className="px-2.5 py-1"
                aria-label={`Download ${file.name}`}
                onClick={() => {
                  setError(null);
                  downloadPublicationFile(p.id, file).catch(setError);
                }}
              >
                Download
              </Button>
            </li>
          );
        })}
      </ul>
      <ErrorAlert error={error} className="mt-2" />
    </div>
  );
}
