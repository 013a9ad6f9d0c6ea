import { useState, type ReactNode } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { fieldRule } from "@/lib/api/field-rules";
import { useCreateTemplate } from "../../api/create-template";
import type { EstimateRead, JobCreate } from "@/lib/api/types";
import { formatDuration, formatUsd } from "../../lib/format";
import type { VersionChoice } from "./DatasetStep";

const ADAPTERS: Record<string, string> = {
  lora: "a LoRA adapter",
  qlora: "a QLoRA adapter (4-bit base)",
  full: "all weights (full fine-tuning)",
};

/** The review's plain-language summary: what trains, on what, where, how long and what it costs. */
export function ReviewSummary({
  body,
  estimate,
  datasets,
}: {
  body: JobCreate;
  estimate: EstimateRead | undefined;
  datasets: VersionChoice[];
}) {
  const find = (id: string) => datasets.find((c) => c.version.id === id);
  const main = find(body.dataset_version_id);
  const mixture = (body.mixture ?? []).map((part) => ({ part, choice: find(part.dataset_version_id) }));
  const chosen = estimate?.chosen ?? null;
  const modal = body.executor === "modal";
  const devices = body.devices ?? 1;
  const seconds = chosen?.wall_seconds ?? chosen?.total_seconds ?? null;
  const steps = chosen?.total_steps ?? body.hyperparameters?.max_steps ?? null;
  const named = (c: VersionChoice) => `${c.dataset.name} · v${c.version.number} (${c.version.rows.toLocaleString()} rows)`;
  const rows: [string, ReactNode][] = [
    [
      "What trains",
      <>
        {body.method.toUpperCase()} of <span className="wrap-anywhere">{body.base_model}</span>, training{" "}
        {ADAPTERS[body.adapter ?? "lora"] ?? body.adapter}
      </>,
    ],
    [
      "On what",
      <>
        {main ? named(main) : "the chosen dataset version"}
        {mixture.map(({ part, choice }) => (
          <span key={part.dataset_version_id} className="block">
            + {choice ? named(choice) : "another version"}, weight {part.weight}
          </span>
        ))}
      </>,
    ],
    [
      "Where",
      modal
        ? `Modal cloud GPU: ${devices > 1 ? `${devices} × ` : ""}${body.gpu_type ?? "any"}`
        : chosen?.worker
          ? `Worker ${chosen.worker}${chosen.device_name ? ` (${devices > 1 ? `${devices} × ` : ""}${chosen.device_name})` : ""}`
          : `The first free worker${devices > 1 ? ` with ${devices} devices` : ""}`,
    ],
    ...(chosen?.global_batch
      ? ([
          [
            "Batch",
            devices > 1
              ? `${chosen.global_batch.toLocaleString()} rows per step over ${devices} devices (the batch size is per device)`
              : `${chosen.global_batch.toLocaleString()} rows per step`,
          ],
        ] as [string, ReactNode][])
      : []),
    [
      "How long",
      seconds !== null
        ? `About ${formatDuration(seconds)}${steps ? ` (${steps.toLocaleString()} steps)` : ""}`
        : estimate
          ? "Not known for this target"
          : "Estimating…",
    ],
    [
      "What it costs",
      modal
        ? chosen?.cost_usd !== null && chosen?.cost_usd !== undefined
          ? `About ${formatUsd(chosen.cost_usd)} on your Modal token`
          : estimate
            ? "Not known for this GPU"
            : "Estimating…"
        : "Nothing extra: it runs on your team's own worker",
    ],
  ];
  return (
    <section aria-label="Summary" className="rounded-lg border border-slate-200 bg-slate-50 p-4">
      <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[9rem_1fr]">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="font-medium text-slate-600">{label}</dt>
            <dd className="min-w-0 break-words text-slate-900">{value}</dd>
          </div>
        ))}
      </dl>
      {chosen?.fits === false && (
        <p className="mt-2 text-sm text-amber-800">{chosen.message ?? "The estimate says this may not fit in memory there."}</p>
      )}
    </section>
  );
}

export function ReviewStep({
  teamId,
  body,
  estimate,
  estimateError,
  datasets = [],
}: {
  teamId: string;
  body: JobCreate;
  estimate: EstimateRead | undefined;
  estimateError: unknown;
  /** The dataset versions the wizard offered, to name the chosen ones. */
  datasets?: VersionChoice[];
}) {
  const [copied, setCopied] = useState(false);
  const [templateName, setTemplateName] = useState("");
  const saveTemplate = useCreateTemplate(teamId);
  const yaml = estimate?.spec_yaml ?? "";
  function save() {
    saveTemplate.mutate({ name: templateName.trim(), description: "", config: body as Record<string, unknown> });
  }
  async function copy() {
    try {
      await navigator.clipboard.writeText(yaml);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div className="min-w-0 space-y-6">
      <ReviewSummary body={body} estimate={estimate} datasets={datasets} />
      <ErrorAlert error={estimateError} />
      <div>
        <div className="mb-2 flex items-center justify-between gap-2">
          <h3 className="text-sm font-semibold text-slate-900">The spec, for `tuneforge train`</h3>
          <Button variant="secondary" onClick={copy} disabled={!yaml}>
            {copied ? "Copied" : "Copy YAML"}
          </Button>
        </div>
        {/* Focusable: it scrolls, and keyboard users must be able to scroll it. */}
        <pre aria-label="Spec YAML" tabIndex={0} className="max-h-96 overflow-auto whitespace-pre-wrap break-all rounded-md bg-slate-950 p-3 text-xs text-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
          {yaml || "Waiting for the estimate…"}
        </pre>
      </div>
      {/* Not a <form>: this sits inside the wizard's form, and forms cannot nest. */}
      <div role="group" aria-label="Save as template" className="flex flex-wrap items-end gap-2">
        <TextField
          label="Template name"
          value={templateName}
          onChange={(e) => setTemplateName(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              if (templateName.trim()) save();
            }
          }}
          maxLength={fieldRule("TemplateCreate", "name").maxLength}
          className="min-w-60 flex-1"
        />
        <Button variant="secondary" pending={saveTemplate.isPending} disabled={!templateName.trim()} onClick={save}>
          Save as template
        </Button>
      </div>
      <ErrorAlert error={saveTemplate.error} />
      {saveTemplate.isSuccess && <StatusMessage>Saved the template “{saveTemplate.data.name}”.</StatusMessage>}
    </div>
  );
}
