import { Link } from "react-router";
import { ErrorAlert } from "@/components/ui/Feedback";
import { RadioCard } from "@/components/ui/RadioCard";
import { SelectField } from "@/components/ui/SelectField";
import { formatBytes } from "@/lib/format";
import type { EstimateAccuracy, EstimateRead, TargetEstimate, WorkerInfo } from "@/lib/api/types";
import { formatUsd } from "../../lib/format";
import { AccuracyNote, TimeEstimate } from "../EstimateTiming";
import { localMaxDevices, MODAL_DEVICE_CHOICES, type WizardForm } from "../../lib/wizard-form";

function costRange(t: TargetEstimate): string {
  if (t.cost_usd_low != null && t.cost_usd_high != null && formatUsd(t.cost_usd_low) !== formatUsd(t.cost_usd_high)) {
    return `${formatUsd(t.cost_usd_low)}–${formatUsd(t.cost_usd_high)}`;
  }
  return formatUsd(t.cost_usd);
}

function targetName(t: TargetEstimate): string {
  return t.executor === "modal" ? `Modal ${t.gpu_type ?? t.device_name}` : `${t.worker ?? "worker"} · ${t.device_name ?? ""} (${t.device_type ?? ""})`;
}

export function TargetStep({
  form,
  update,
  workers,
  estimate,
  estimateError,
  estimating,
  hasModalToken,
  modalTokenHint = null,
  accuracy,
}: {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
  workers: WorkerInfo[];
  estimate: EstimateRead | undefined;
  estimateError: unknown;
  estimating: boolean;
  hasModalToken: boolean;
  /** The saved Modal token's hint (ak-…abcd): the launch runs on, and is billed to, this token. */
  modalTokenHint?: string | null;
  /** How close this server's estimates have been to what its recent jobs took. */
  accuracy?: EstimateAccuracy;
}) {
  const modalTargets = estimate?.targets.filter((t) => t.executor === "modal") ?? [];
  const gpuChoices = modalTargets.length
    ? modalTargets.map((t) => t.gpu_type ?? "")
    : ["T4", "L4", "A10G", "L40S", "A100-40GB", "A100-80GB", "H100", "H200", "B200"];
  const localDevices = workers.flatMap((w) =>
    w.devices.map((d) => ({ worker: w.name, ...d })),
  );
  const localMax = localMaxDevices(workers);
  const deviceChoices =
    form.executor === "modal" ? MODAL_DEVICE_CHOICES : Array.from({ length: localMax }, (_, i) => i + 1);
  return (
    <div className="space-y-6">
      <fieldset>
        <legend className="mb-2 text-sm font-semibold text-slate-900">Run on</legend>
        <div className="grid gap-2 md:grid-cols-2">
          <RadioCard
            name="executor"
            value="local"
            checked={form.executor === "local"}
            onChange={() => update({ executor: "local", gpu_type: "", devices: Math.min(form.devices, localMax) })}
            title="Local workers"
            description={
              localDevices.length ? (
                <ul className="mt-1 list-disc pl-4 text-xs">
                  {localDevices.map((d, i) => (
                    <li key={i}>
                      {d.worker}: {d.name} ({d.type}
                      {d.total_memory_bytes ? `, ${formatBytes(d.total_memory_bytes)}` : ""})
                    </li>
                  ))}
                  {workers
                    .filter((w) => (w.max_devices ?? 1) > 1)
                    .map((w) => (
                      <li key={w.name}>
                        {w.name}: one job on up to {w.max_devices} devices
                      </li>
                    ))}
                </ul>
              ) : (
                "No worker is online right now: the job waits in the queue until one starts."
              )
            }
          />
          <RadioCard
            name="executor"
            value="modal"
            checked={form.executor === "modal"}
            onChange={() => update({ executor: "modal", gpu_type: form.gpu_type || "L4" })}
            title="Modal cloud GPU"
            description="Billed to your Modal account; pick the GPU below."
          />
        </div>
      </fieldset>
      {form.executor === "local" && localMax <= 1 ? (
        <p className="text-sm text-slate-600">
          Trains on one device: no online worker offers more (a worker with several GPUs, or
          TUNEFORGE_WORKER_CPU_PROCESSES on a CPU worker, does).
        </p>
      ) : (
        <div className="space-y-1">
          <SelectField
            label="Devices"
            value={String(form.devices)}
            onChange={(e) => update({ devices: Number(e.target.value) })}
            options={deviceChoices.map((n) => ({ value: String(n), label: n === 1 ? "1 device" : `${n} devices` }))}
          />
          <p className="text-xs text-slate-600">
            One process per device; the batch size is per device, so each step trains on {form.devices} times as many
            rows{form.executor === "modal" ? " and every GPU is billed" : ""}.
          </p>
        </div>
      )}
      {form.executor === "modal" && (
        <div className="space-y-2">
          <SelectField
            label="GPU type"
            value={form.gpu_type}
            onChange={(e) => update({ gpu_type: e.target.value })}
            options={gpuChoices.map((g) => ({ value: g, label: g }))}
          />
          {hasModalToken && (
            <p className="text-sm text-slate-600">
              Runs on Modal with your token{modalTokenHint ? ` (${modalTokenHint})` : ""}: launching, retrying or resuming
              a Modal job bills the token of whoever does it.
            </p>
          )}
          {!hasModalToken && (
            <p role="alert" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
              Running on Modal needs your Modal token.{" "}
              <Link to="/settings" className="font-medium underline">
                Add a Modal token in Settings
              </Link>
              , then launch.
            </p>
          )}
        </div>
      )}
      <section aria-labelledby="estimates-heading" className="space-y-2">
        <h3 id="estimates-heading" className="text-sm font-semibold text-slate-900">
          Estimates {estimating && <span className="font-normal text-slate-500">(updating…)</span>}
        </h3>
        <ErrorAlert error={estimateError} />
        {estimate && (
          <>
            {/* Focusable: on a phone the table scrolls sideways, and keyboard users must be able to scroll it. */}
            <div tabIndex={0} className="overflow-x-auto rounded-lg border border-slate-200 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
              <table className="min-w-full text-sm">
                <caption className="sr-only">Memory, time and cost on each target</caption>
                <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
                  <tr>
                    <th scope="col" className="px-3 py-2">Target</th>
                    <th scope="col" className="px-3 py-2">Fits?</th>
                    <th scope="col" className="px-3 py-2">Peak memory</th>
                    <th scope="col" className="px-3 py-2">Time</th>
                    <th scope="col" className="px-3 py-2">Cost</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {estimate.targets.map((t, i) => {
                    const chosen =
                      (form.executor === "local" && t.executor === "local") ||
                      (form.executor === "modal" && t.executor === "modal" && t.gpu_type === form.gpu_type);
                    return (
                      <tr key={i} className={chosen ? "bg-indigo-50/60" : undefined}>
                        <th scope="row" className="px-3 py-2 text-left font-medium text-slate-800">
                          {targetName(t)}
                        </th>
                        <td className="px-3 py-2">
                          {t.fits ? (
                            <span className="text-emerald-700">fits</span>
                          ) : (
                            <span className="text-red-700">won't fit</span>
                          )}
                          {!t.fits && (
                            <div className="text-xs text-slate-600">
                              {t.message}
                              {t.suggestions && t.suggestions.length > 0 && (
                                <ul className="mt-1 list-disc pl-4">
                                  {t.suggestions.map((s) => (
                                    <li key={s.action}>
                                      {s.message}
                                      {s.fits ? " — fits" : ""}
                                    </li>
                                  ))}
                                </ul>
                              )}
                            </div>
                          )}
                        </td>
                        <td className="px-3 py-2">{t.peak_memory_gib != null ? `${t.peak_memory_gib} GiB` : "—"}</td>
                        <td className="px-3 py-2">
                          <TimeEstimate target={t} />
                        </td>
                        <td className="px-3 py-2">{t.executor === "modal" ? costRange(t) : "—"}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <p className="text-xs text-slate-600">
              Times are ranges around an estimate of every phase of the run (start-up, loading, tokenising, steps,
              saving, evaluation): open Phases for the breakdown.
            </p>
            <AccuracyNote
              accuracy={accuracy}
              executor={form.executor}
              deviceType={form.executor === "modal" ? "cuda" : estimate.targets.find((t) => t.executor === "local")?.device_type}
              target={estimate.targets.find(
                (t) => t.executor === form.executor && (form.executor === "local" || t.gpu_type === form.gpu_type),
              )}
            />
            {estimate.price_table_date && (
              <p className="text-xs text-slate-500">Modal prices from the price table of {estimate.price_table_date}.</p>
            )}
            {estimate.warnings?.map((w) => (
              <p key={w} className="text-sm text-amber-800">{w}</p>
            ))}
          </>
        )}
      </section>
    </div>
  );
}
