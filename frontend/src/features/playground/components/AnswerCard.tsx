import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { RoleGate } from "@/components/ui/RoleGate";
import { cn } from "@/components/ui/cn";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Pill, type PillTone } from "@/components/ui/Pill";
import { Spinner } from "@/components/ui/Spinner";
import { TextAreaField } from "@/components/ui/TextAreaField";
import type { FeedbackResult, GenerationRead } from "@/lib/api/types";
import { useCancelGeneration } from "../api/cancel-generation";
import { useEditAnswer } from "../api/edit-answer";
import { useAnswer } from "../api/get-generation";
import { useRateAnswer } from "../api/rate-answer";
import { isTerminal } from "../lib/generation-stream";
import { useGenerationStream } from "../lib/use-generation-stream";
import { finishInWords, statsInWords, statusInWords } from "../lib/words";

const TONES: Record<GenerationRead["status"], PillTone> = {
  queued: "neutral",
  loading: "info",
  running: "info",
  done: "success",
  failed: "danger",
  cancelled: "warning",
};

/**
 * One side's answer, streaming while it is written: status in words, Stop, speed, why it ended, the
 * prompt as the model saw it; with `feedback`, thumbs up/down and a corrected answer to keep.
 */
export function AnswerCard({
  answer: initial,
  title,
  hidden,
  feedback,
  teamId,
  onFeedback,
}: {
  answer: GenerationRead;
  /** "Answer A" */
  title: string;
  /** A blind turn before its pick: which model answered is not shown. */
  hidden: boolean;
  feedback: boolean;
  teamId: string;
  onFeedback: (result: FeedbackResult) => void;
}) {
  const answer = useAnswer(initial);
  const live = !isTerminal(answer);
  const stream = useGenerationStream(answer.id, live);
  const cancel = useCancelGeneration();
  const rate = useRateAnswer(teamId);
  const edit = useEditAnswer(teamId);
  const [editing, setEditing] = useState<string | null>(null);
  const finished = answer.status === "done" && answer.text.trim() !== "";
  const stats = statsInWords(answer.stats);
  const finish = finishInWords(answer.finish_reason);

  return (
    <article aria-label={title} className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <header className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
          <p className="break-words text-xs text-slate-600">
            {hidden ? "Model hidden until you pick" : (answer.label ?? "")}
          </p>
        </div>
        <div className="flex min-w-0 flex-wrap items-center gap-2">
          <Pill tone={TONES[answer.status]}>
            {live && <Spinner className="size-3" />}
            {statusInWords(answer.status)}
          </Pill>
          {live && (
            <Button
              variant="secondary"
              className="px-2.5 py-1"
              onClick={() => cancel.mutate(answer.id)}
              pending={cancel.isPending}
              disabled={cancel.isSuccess}
            >
              {cancel.isSuccess ? "Stopping…" : "Stop"}
            </Button>
          )}
        </div>
      </header>
      {stream.problem && live && <p className="mt-2 text-xs text-amber-800">{stream.problem}</p>}
      {live && stream.connection === "reconnecting" && <p className="mt-2 text-xs text-amber-800">Reconnecting to the live answer…</p>}

      <div className="mt-3 whitespace-pre-wrap break-words text-sm text-slate-900" aria-busy={live || undefined} data-testid="answer-text">
        {/* Only spaces or line breaks read as nothing on screen: say so (such an answer cannot be picked or rated). */}
        {answer.text.trim() ? answer.text : live ? <span className="text-slate-500">…</span> : <span className="text-slate-500">(no text)</span>}
      </div>
      {answer.edited_text !== null && answer.edited_text !== undefined && (
        <div className="mt-3 rounded-md border border-indigo-200 bg-indigo-50 p-2 text-sm">
          <p className="text-xs font-semibold text-indigo-900">Your edit (kept)</p>
          <p className="whitespace-pre-wrap break-words text-slate-900">{answer.edited_text}</p>
        </div>
      )}
      {answer.status === "failed" && (
        <div role="alert" className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          This answer failed{answer.error ? `: ${answer.error}` : "."}
        </div>
      )}

      {(stats.length > 0 || finish) && (
        <p className="mt-3 text-xs text-slate-600" data-testid="answer-stats">
          {[...stats, ...(finish ? [finish] : [])].join(" · ")}
        </p>
      )}
      {answer.rendered_prompt && (
        <details className="mt-2 text-xs">
          <summary className="cursor-pointer font-medium text-indigo-700">Show prompt as the model sees it</summary>
          <pre className="mt-1 max-h-64 overflow-y-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 font-mono text-slate-800">
            {answer.rendered_prompt}
          </pre>
        </details>
      )}
      <ErrorAlert error={cancel.error} className="mt-2" />

      {feedback && (
        <RoleGate needs="member" action="rate or edit answers">
          <div className="mt-3 space-y-2 border-t border-slate-100 pt-3">
            <div className="flex flex-wrap items-center gap-2">
              <RateButton
                direction="up"
                chosen={answer.rating}
                disabled={!finished || answer.rating !== null || rate.isPending}
                onClick={() => rate.mutate({ generationId: answer.id, rating: "up" }, { onSuccess: onFeedback })}
              />
              <RateButton
                direction="down"
                chosen={answer.rating}
                disabled={!finished || answer.rating !== null || rate.isPending}
                onClick={() => rate.mutate({ generationId: answer.id, rating: "down" }, { onSuccess: onFeedback })}
              />
              {editing === null && (
                <Button
                  variant="secondary"
                  className="px-2.5 py-1"
                  disabled={live}
                  onClick={() => setEditing(answer.edited_text ?? answer.text)}
                >
                  Edit answer
                </Button>
              )}
              {answer.rating && <span className="text-xs text-slate-600">Rated {answer.rating === "up" ? "good" : "bad"}.</span>}
            </div>
            {editing !== null && (
              <form
                className="space-y-2"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (!editing.trim()) return;
                  edit.mutate(
                    { generationId: answer.id, text: editing },
                    {
                      onSuccess: (result) => {
                        setEditing(null);
                        onFeedback(result);
                      },
                    },
                  );
                }}
              >
                <TextAreaField
                  label={`Corrected answer (${title})`}
                  hint="Saved as a training example of the answer you want (SFT)."
                  rows={5}
                  value={editing}
                  onChange={(e) => setEditing(e.target.value)}
                />
                <div className="flex gap-2">
                  <Button type="submit" pending={edit.isPending} disabled={!editing.trim()}>
                    Keep edit
                  </Button>
                  <Button variant="secondary" onClick={() => setEditing(null)}>
                    Cancel edit
                  </Button>
                </div>
              </form>
            )}
            <ErrorAlert error={rate.error ?? edit.error} />
          </div>
        </RoleGate>
      )}
    </article>
  );
}

function RateButton({
  direction,
  chosen,
  disabled,
  onClick,
}: {
  direction: "up" | "down";
  chosen: GenerationRead["rating"];
  disabled: boolean;
  onClick: () => void;
}) {
  const pressed = chosen === direction;
  return (
    <button
      type="button"
      onClick={onClick}
      disabled={disabled}
      aria-pressed={pressed}
      className={cn(
        "inline-flex items-center gap-1 rounded-md px-2.5 py-1 text-sm font-medium ring-1 ring-inset",
        "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed",
        pressed ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-800 ring-slate-300 hover:bg-slate-50 disabled:text-slate-500",
      )}
    >
      <svg aria-hidden="true" viewBox="0 0 24 24" className={cn("size-4", direction === "down" && "rotate-180")} fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round">
        <path d="M7 10v11H3V10h4zm0 0l4-8a3 3 0 013 3v4h6a2 2 0 012 2.3l-1.4 8A2 2 0 0118.6 21H7" />
      </svg>
      {direction === "up" ? "Thumbs up" : "Thumbs down"}
    </button>
  );
}
