import { useState } from "react";
import { Link, useParams } from "react-router";
import { Button } from "@/components/ui/Button";
import { RoleGate } from "@/components/ui/RoleGate";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { ProgressBar } from "@/components/ui/ProgressBar";
import { PageLoader } from "@/components/ui/Spinner";
import type { BatchRead, FeedbackSaved } from "@/lib/api/types";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useCancelBatch } from "../api/cancel-batch";
import { batchInProgress, useBatch } from "../api/get-batch";
import { usePickBatchRow } from "../api/pick-batch-row";
import { ApiProblem } from "../components/ApiProblem";
import { BatchStatus } from "../components/BatchStatus";
import { SavedNotice } from "../components/SavedNotice";
import { formatScore, metricKeys, metricName } from "../lib/batch";

/** /playground/batch/:batchId: progress while it runs, then metrics per model and the answers row by row. */
export function BatchDetailRoute() {
  const { batchId = "" } = useParams();
  const { team } = useCurrentTeam();
  const batch = useBatch(batchId);
  const cancel = useCancelBatch(team?.id ?? "");

  const back = <Link className="text-sm text-indigo-700 hover:underline" to="/playground/batch">All comparisons</Link>;
  if (batch.isPending) return <><PageHeader title="Batch compare" actions={back} /><PageLoader label="Loading the comparison" /></>;
  if (batch.isError) return <><PageHeader title="Batch compare" actions={back} /><ApiProblem error={batch.error} /></>;
  const b = batch.data;
  const running = batchInProgress(b);
  const dataset = b.dataset_name ? `${b.dataset_name} v${b.dataset_version_number ?? "?"}` : "a deleted dataset";
  return (
    <>
      <PageHeader title={`Batch compare on ${dataset}`} description={b.targets.map((t) => t.label).join(" vs ")} actions={back} />
      <div className="space-y-6">
        <Card title="Progress">
          <div className="flex flex-wrap items-center gap-3">
            <BatchStatus status={b.status} />
            <span className="text-sm text-slate-700" data-testid="batch-rows">
              {b.done_rows} of {b.total_rows || "?"} answers written ({b.targets.length} models × the rows)
            </span>
            {running && (
              <RoleGate needs="member" action="cancel batch compares" className="inline">
                <Button variant="danger" onClick={() => cancel.mutate(b.id)} pending={cancel.isPending}>
                  Cancel
                </Button>
              </RoleGate>
            )}
          </div>
          {running && <ProgressBar className="mt-3" label="Comparison progress" value={b.done_rows} max={b.total_rows || null} />}
          {b.status === "failed" && (
            <div role="alert" className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
              The comparison failed{b.error ? `: ${b.error}` : "."}
            </div>
          )}
          <ErrorAlert error={cancel.error} className="mt-3" />
        </Card>
        {b.metrics.length > 0 && <MetricsTable batch={b} />}
        {b.rows.length > 0 && team && <Rows batch={b} teamId={team.id} />}
      </div>
    </>
  );
}

function MetricsTable({ batch }: { batch: BatchRead }) {
  const keys = metricKeys(batch.metrics);
  return (
    <Card title="Metrics" description="Each score is averaged over the rows with a reference answer; higher is better.">
      <div tabIndex={0} className="overflow-x-auto focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
        <table aria-label="Metrics" className="min-w-full text-sm">
          <thead>
            <tr className="text-left text-slate-600">
              <th scope="col" className="py-1 pr-4 font-medium">Model</th>
              {keys.map((k) => (
                <th key={k} scope="col" className="py-1 pr-4 font-medium">{metricName(k)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {batch.targets.map((t, i) => (
              <tr key={`${t.version_id}-${t.base}`} className="border-t border-slate-100">
                <th scope="row" className="py-2 pr-4 text-left font-medium text-slate-900">{t.label}</th>
                {keys.map((k) => (
                  <td key={k} className="py-2 pr-4 font-mono text-xs">{formatScore(batch.metrics[i]?.[k])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function Rows({ batch, teamId }: { batch: BatchRead; teamId: string }) {
  const pick = usePickBatchRow(teamId, batch.id);
  const [saved, setSaved] = useState<{ row: number; saved: FeedbackSaved } | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const done = batch.status === "done";
  const columns = batch.targets.length >= 3 ? "md:grid-cols-2 xl:grid-cols-3" : "md:grid-cols-2";
  return (
    <Card
      title="Answers"
      description={done ? "Pick the better answer of a row: it is saved as preference pairs (chosen over each other answer)." : "Picking opens once every answer is in."}
    >
      <ErrorAlert error={pick.error} className="mb-3" />
      <ol aria-label="Rows" className="space-y-6">
        {batch.rows.map((row, r) => {
          const prompt = row.prompt.filter((m) => m.role !== "system");
          const chosen = row.pick ?? null;
          return (
            <li key={r} aria-label={`Row ${r + 1}`} className="space-y-3 border-t border-slate-100 pt-4 first:border-t-0 first:pt-0">
              <div className="text-sm">
                <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">Prompt {r + 1}</p>
                {prompt.map((m, k) => (
                  <p key={k} className="whitespace-pre-wrap break-words text-slate-900">
                    {prompt.length > 1 && <span className="font-medium text-slate-600">{m.role}: </span>}
                    {m.content}
                  </p>
                ))}
              </div>
              {row.reference !== null && (
                <div className="text-sm">
                  <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">Reference</p>
                  <p className="whitespace-pre-wrap break-words text-slate-800">{row.reference}</p>
                </div>
              )}
              <div className={`grid gap-3 ${columns}`}>
                {batch.targets.map((t, i) => {
                  const scores = row.scores[i];
                  const answer = row.answers[i];
                  return (
                    <div
                      key={i}
                      className={`min-w-0 rounded-lg border p-3 ${chosen === i ? "border-emerald-400 bg-emerald-50" : "border-slate-200 bg-white"}`}
                    >
                      <p className="break-words text-xs font-semibold text-slate-900">{t.label}</p>
                      <p className="mt-1 whitespace-pre-wrap break-words text-sm text-slate-900">
                        {answer ?? <span className="text-slate-600">(no answer)</span>}
                      </p>
                      {scores && (
                        <p className="mt-2 font-mono text-xs text-slate-600">
                          {metricKeys([scores]).map((k) => `${metricName(k)} ${formatScore(scores[k])}`).join(" · ")}
                        </p>
                      )}
                      {chosen === i ? (
                        <p className="mt-2 text-xs font-semibold text-emerald-800">Picked as better</p>
                      ) : (
                        chosen === null && (
                          <RoleGate needs="member" action="pick answers">
                            <Button
                              variant="secondary"
                              className="mt-2 px-2.5 py-1"
                              disabled={!done || !answer || pick.isPending}
                              pending={pick.isPending && pending === `${r}:${i}`}
                              onClick={() => {
                                setPending(`${r}:${i}`);
                                pick.mutate(
                                  { row: r, choice: i },
                                  { onSuccess: (result) => result.saved && setSaved({ row: r, saved: result.saved }) },
                                );
                              }}
                            >
                              This one is better<span className="sr-only">: {t.label}, row {r + 1}</span>
                            </Button>
                          </RoleGate>
                        )
                      )}
                    </div>
                  );
                })}
              </div>
              {saved?.row === r && <SavedNotice saved={saved.saved} versionId={batch.targets[0]?.version_id} />}
            </li>
          );
        })}
      </ol>
    </Card>
  );
}
