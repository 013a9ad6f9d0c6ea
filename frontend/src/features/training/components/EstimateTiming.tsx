import type { EstimateAccuracy, EstimatePhase, JobRead, TargetEstimate } from "@/lib/api/types";
import { formatDuration, formatDurationRange, formatRatio, formatSeconds } from "../lib/format";

const PHASE_NAMES: Record<string, string> = {
  startup: "Start-up",
  loading_model: "Loading the model",
  tokenizing: "Tokenising",
  training: "Training steps",
  saving: "Saving",
  evaluating: "Evaluating",
};

function phaseName(p: { name: string; label?: string | null }): string {
  return PHASE_NAMES[p.name] ?? p.label ?? p.name;
}

/** The time a target's estimate gives: its range, the steps, and (expandable) each phase. */
export function TimeEstimate({ target }: { target: TargetEstimate }) {
  const hasRange = target.wall_seconds_low != null && target.wall_seconds_high != null;
  return (
    <div>
      <span>
        {hasRange
          ? formatDurationRange(target.wall_seconds_low, target.wall_seconds_high)
          : formatDuration(target.wall_seconds ?? target.total_seconds)}
      </span>
      {target.total_steps ? <span className="block text-xs text-slate-600">{target.total_steps} steps</span> : null}
      {target.phases && target.phases.length > 0 && <PhaseBreakdown phases={target.phases} />}
    </div>
  );
}

function PhaseBreakdown({ phases }: { phases: EstimatePhase[] }) {
  return (
    <details className="mt-1 text-xs text-slate-600">
      <summary className="cursor-pointer text-indigo-700">Phases</summary>
      <ul className="mt-1 space-y-0.5">
        {phases.map((p) => (
          <li key={p.name} className="flex justify-between gap-3">
            <span>{phaseName(p)}</span>
            <span className="tabular-nums">{formatSeconds(p.seconds)}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

function groupLabel(executor: string, deviceType: string | null | undefined): string {
  if (executor === "modal") return "Modal";
  const device = deviceType === "cuda" ? "GPU" : deviceType === "mps" ? "Apple GPU" : deviceType === "cpu" ? "CPU" : "";
  return `local ${device}`.trim();
}

/** "Estimates on this server have been within 0.8–1.3× of actual for the last 12 local CPU jobs". */
export function AccuracyNote({
  accuracy,
  executor,
  deviceType,
  target,
}: {
  accuracy: EstimateAccuracy | undefined;
  executor: string;
  deviceType?: string | null;
  /** The chosen target: when this server's jobs ran well off their estimates, what that suggests for it. */
  target?: TargetEstimate | null;
}) {
  if (!accuracy) return null;
  const group =
    accuracy.groups.find((g) => g.executor === executor && (!deviceType || g.device_type === deviceType)) ??
    accuracy.groups.find((g) => g.executor === executor);
  if (!group || group.jobs === 0) {
    return (
      <p className="text-xs text-slate-600" data-testid="estimate-accuracy">
        {accuracy.jobs === 0
          ? "No finished job has been timed against its estimate yet: each one that ends is, and the accuracy shows here."
          : `No ${groupLabel(executor, deviceType)} job has been timed against its estimate yet.`}
      </p>
    );
  }
  const jobs = `${group.jobs} ${groupLabel(group.executor, group.device_type)} job${group.jobs === 1 ? "" : "s"}`;
  const spread =
    group.low_ratio === group.high_ratio ? formatRatio(group.low_ratio) : `${formatRatio(group.low_ratio)}–${formatRatio(group.high_ratio)}`;
  const median = group.median_ratio;
  const adjust =
    median != null && (median < 0.8 || median > 1.25) && target?.wall_seconds_low != null && target.wall_seconds_high != null
      ? formatDurationRange(target.wall_seconds_low * median, target.wall_seconds_high * median)
      : null;
  return (
    <p className="text-xs text-slate-600" data-testid="estimate-accuracy">
      Estimates on this server have been within {spread} of actual for the last {jobs} (median{" "}
      {formatRatio(median)}: time taken / time estimated).
      {adjust ? ` At that median, this job would take ${adjust}.` : ""}
    </p>
  );
}

type ChosenEstimate = Pick<TargetEstimate, "wall_seconds" | "wall_seconds_low" | "wall_seconds_high">;

function chosenEstimate(job: JobRead): ChosenEstimate | null {
  const chosen = (job.estimate as { chosen?: ChosenEstimate | null } | null)?.chosen;
  return chosen && typeof chosen.wall_seconds === "number" ? chosen : null;
}

/** On the job page: "Estimated 1–2 min, took 1 min 34 s (1.2× the estimate)", each phase expandable. */
export function EstimateVsActual({ job }: { job: JobRead }) {
  const timing = job.timing;
  if (timing && timing.estimated_seconds != null) {
    const estimated = new Map((timing.estimated_phases ?? []).map((p) => [p.name, p.seconds]));
    const names = [...new Set([...(timing.estimated_phases ?? []).map((p) => p.name), ...timing.actual_phases.map((p) => p.name)])];
    const actual = new Map(timing.actual_phases.map((p) => [p.name, p.seconds]));
    return (
      <div className="text-xs text-slate-600" data-testid="estimate-vs-actual">
        <p>
          Estimated {formatDurationRange(timing.estimated_low ?? timing.estimated_seconds, timing.estimated_high ?? timing.estimated_seconds)},
          took {formatDuration(timing.actual_seconds)}
          {timing.ratio != null ? ` (${formatRatio(timing.ratio)} the estimate)` : ""}.
        </p>
        <details className="mt-1">
          <summary className="cursor-pointer text-indigo-700">Phases: estimated and actual</summary>
          <table className="mt-1 text-left">
            <thead>
              <tr>
                <th scope="col" className="pr-4 font-medium">Phase</th>
                <th scope="col" className="pr-4 font-medium">Estimated</th>
                <th scope="col" className="font-medium">Took</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => (
                <tr key={name}>
                  <th scope="row" className="pr-4 font-normal">{phaseName({ name })}</th>
                  <td className="pr-4 tabular-nums">{estimated.has(name) ? formatSeconds(estimated.get(name)) : "—"}</td>
                  <td className="tabular-nums">{actual.has(name) ? formatSeconds(actual.get(name)) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </div>
    );
  }
  if (timing) {
    return (
      <p className="text-xs text-slate-600" data-testid="estimate-vs-actual">
        Took {formatDuration(timing.actual_seconds)} (no estimate for where it ran).
      </p>
    );
  }
  const chosen = chosenEstimate(job);
  if (!chosen || job.finished_at) return null;
  return (
    <p className="text-xs text-slate-600" data-testid="estimate-vs-actual">
      Estimated {formatDurationRange(chosen.wall_seconds_low ?? chosen.wall_seconds, chosen.wall_seconds_high ?? chosen.wall_seconds)} in all.
    </p>
  );
}
