import { lazy, Suspense, useMemo } from "react";
import { Link, useParams } from "react-router";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { JobModelVersionLink } from "../components/JobModelVersionLink";
import { ProgressBar } from "@/components/ui/ProgressBar";
import { PageLoader } from "@/components/ui/Spinner";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { formatDateTime } from "@/lib/format";
import { useJob } from "../api/get-job";
import type { JobRead } from "@/lib/api/types";
import { ArtifactsList } from "../components/ArtifactsList";
import { EstimateVsActual } from "../components/EstimateTiming";
import { EvalResults } from "../components/EvalResults";
import { JobActions } from "../components/JobActions";
import { JobStatusBadge } from "../components/JobStatusBadge";
import { LogPanel } from "../components/LogPanel";
import { SpecPanel } from "../components/SpecPanel";
import { StatusTimeline } from "../components/StatusTimeline";
import { formatDuration, formatUsd } from "../lib/format";
import { etaSeconds, runSeconds, series, stepRate, type Phase } from "../lib/job-stream";
import { useEvaluationReport } from "../api/get-evaluation-report";
import { useJobStream } from "../lib/use-job-stream";

// Recharts is large: loaded with the first chart, not with the app.
const MetricCharts = lazy(() => import("../components/MetricCharts").then((m) => ({ default: m.MetricCharts })));

export function JobRoute() {
  const { jobId = "" } = useParams();
  const job = useJob(jobId);
  if (job.error) {
    return (
      <>
        <PageHeader title="Training job" />
        <ErrorAlert error={job.error} />
        <Link to="/training" className="mt-4 inline-block text-sm text-indigo-700 hover:underline">
          Back to all jobs
        </Link>
      </>
    );
  }
  if (!job.data) return <PageLoader label="Loading the job…" />;
  return <JobPage job={job.data} />;
}

/** What the run is doing now, under the main progress: "Tokenising 120 rows · 60 of 120 rows". */
export function PhaseLine({ phase }: { phase: Phase }) {
  const known = phase.total !== null && phase.total > 0;
  const done = phase.done ?? 0;
  return (
    <div className="space-y-1" data-testid="job-phase">
      <p className="flex flex-wrap justify-between gap-x-2 text-xs text-slate-600" aria-live="polite">
        <span className="min-w-0 break-words">{phase.label}</span>
        {known && (
          <span>
            {done} of {phase.total}
            {phase.unit ? ` ${phase.unit}` : ""}
          </span>
        )}
      </p>
      <ProgressBar value={done} max={known ? phase.total : null} label="Current phase" className="h-1" />
    </div>
  );
}

function JobPage({ job }: { job: JobRead }) {
  const { team } = useCurrentTeam();
  const stream = useJobStream(job.id);
  const { state } = stream;
  const train = useMemo(() => series(state.metrics), [state.metrics]);
  const evals = useMemo(() => series(state.evals), [state.evals]);

  const lastPoint = train[train.length - 1];
  const step = Math.max(lastPoint?.step ?? 0, job.step);
  const total = lastPoint?.max_steps ?? job.total_steps ?? null;
  const active = job.status === "running" || job.status === "cancelling";
  const eta = active ? etaSeconds(step, total, stepRate(train)) : null;
  const ended = Boolean(job.finished_at) && !active && job.status !== "queued";
  // Run time counts only the running intervals (a job that sat cancelled or queued did not run);
  // wall time is launch to end.
  const ran = ended ? (runSeconds(state.statuses, job.finished_at ? Date.parse(job.finished_at) : Date.now()) ??
    (job.started_at ? (Date.parse(job.finished_at!) - Date.parse(job.started_at)) / 1000 : null)) : null;
  const wall = ended ? (Date.parse(job.finished_at!) - Date.parse(job.created_at)) / 1000 : null;
  // Training's own progress is the main bar; the phase line is for everything around it.
  const phase = active && state.phase?.name !== "training" ? state.phase : null;
  const metrics = (job.result?.metrics ?? null) as Record<string, unknown> | null;
  const evaluation = (state.finalEval ?? (metrics?.evaluation as Record<string, unknown> | undefined) ?? null) as
    | Record<string, unknown>
    | null;
  const report = useEvaluationReport(job.id, job.status === "succeeded");
  // GRPO is not evaluated by its trainer: its numbers are those of the last training step.
  const methodMetrics =
    job.method === "grpo"
      ? (lastPoint?.extra ?? (job.latest_metrics as Record<string, unknown> | null))
      : ((metrics?.eval as Record<string, unknown> | undefined) ?? null);
  const failed = job.status === "failed" || job.status === "interrupted";
  // Viewers see the actions disabled, with the reason (JobActions); another team's job shows none.
  const canEdit = team ? team.id === job.team_id : false;

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link to="/training" className="text-indigo-700 hover:underline">Training</Link>
      </nav>
      <PageHeader title={job.name} actions={<JobActions job={job} canEdit={canEdit} />} />
      <div className="space-y-6">
        <Card title="Overview">
          <div className="flex flex-wrap items-center gap-3 text-sm text-slate-700">
            <span role="group" aria-label="Status">
              <JobStatusBadge status={job.status} />
            </span>
            <span>
              {job.method.toUpperCase()} · {job.adapter} · {job.base_model}
            </span>
            <JobModelVersionLink jobId={job.id} succeeded={job.status === "succeeded"} />
            <span>
              by {job.created_by_name ?? "someone"} · {formatDateTime(job.created_at)}
            </span>
            <span>
              {job.executor === "modal" ? `Modal ${job.gpu_type ?? ""}` : `Worker: ${job.worker_name ?? "not yet assigned"}`}
              {(job.config.devices ?? 1) > 1 && ` · on ${job.config.devices} devices`}
            </span>
            <span>Attempt {job.attempt}</span>
            {job.cost_usd !== null && job.cost_usd !== undefined && <span>Cost {formatUsd(job.cost_usd)}</span>}
          </div>
          <div className="mt-4 space-y-1">
            <ProgressBar value={step} max={total} label="Training progress" busy={job.status === "running" || job.status === "queued"} />
            <p className="flex flex-wrap justify-between gap-2 text-sm text-slate-700">
              <span data-testid="step-counter">{total ? `Step ${step} of ${total}` : `Step ${step}`}</span>
              <span data-testid="job-time">
                {eta !== null
                  ? `ETA ${formatDuration(eta)}`
                  : ended
                    ? [ran !== null ? `Run time ${formatDuration(ran)}` : null, wall !== null ? `wall time ${formatDuration(wall)}` : null]
                        .filter(Boolean)
                        .join(" · ")
                    : ""}
              </span>
            </p>
            {phase && <PhaseLine phase={phase} />}
            <EstimateVsActual job={job} />
            <p className="text-xs text-slate-500" aria-live="polite">
              {stream.connection === "open"
                ? "Live"
                : stream.connection === "closed"
                  ? (stream.problem ?? "Not live")
                  : stream.connection === "reconnecting"
                    ? "Reconnecting…"
                    : "Connecting…"}
            </p>
          </div>
        </Card>

        {failed && (job.message || job.stderr_tail || state.failure) && (
          <section aria-label="Failure" className="rounded-xl border border-red-200 bg-red-50 p-5 text-sm text-red-900">
            <h2 className="text-base font-semibold">
              {job.status === "interrupted" ? "The job was interrupted" : "The job failed"}
            </h2>
            <p className="mt-1">{job.message ?? String(state.failure?.message ?? "")}</p>
            {Boolean(job.hint ?? state.failure?.hint) && <p className="mt-1 font-medium">{String(job.hint ?? state.failure?.hint)}</p>}
            {job.exit_code !== null && job.exit_code !== undefined && <p className="mt-1 text-xs">Exit code {job.exit_code}</p>}
            {typeof state.failure?.traceback === "string" && state.failure.traceback && (
              <details className="mt-2">
                <summary className="cursor-pointer text-xs font-medium">Traceback</summary>
                <pre aria-label="Traceback" className="mt-1 max-h-64 overflow-auto rounded bg-white/70 p-2 text-xs">{state.failure.traceback}</pre>
              </details>
            )}
            {job.stderr_tail && (
              <pre aria-label="Error output" className="mt-2 max-h-64 overflow-auto rounded bg-white/70 p-2 text-xs">{job.stderr_tail}</pre>
            )}
          </section>
        )}

        <Card title="Metrics">
          <Suspense fallback={<p className="text-sm text-slate-600">Loading charts…</p>}>
            <MetricCharts train={train} evals={evals} method={job.method} />
          </Suspense>
        </Card>

        <div className="grid grid-cols-1 gap-6 lg:grid-cols-2 [&>*]:min-w-0">
          <Card title="Status timeline">
            <StatusTimeline statuses={state.statuses} />
          </Card>
          <Card title="Log">
            <LogPanel lines={state.logs} />
          </Card>
        </div>

        <Card title="Evaluation">
          <EvalResults
            evaluation={evaluation}
            method={job.method}
            methodMetrics={methodMetrics}
            samples={report.data?.samples ?? null}
          />
        </Card>

        <div className="grid grid-cols-1 gap-6 lg:grid-cols-2 [&>*]:min-w-0">
          <Card title="Spec">
            <SpecPanel job={job} />
          </Card>
          <Card title="Files">
            <ArtifactsList jobId={job.id} />
          </Card>
        </div>
      </div>
    </>
  );
}
