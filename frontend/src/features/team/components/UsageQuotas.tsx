import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { ProgressBar } from "@/components/ui/ProgressBar";
import { TextField } from "@/components/ui/TextField";
import { formatBytes } from "@/lib/format";
import type { QuotaMeter, QuotasRead, QuotasUpdate, Role } from "@/lib/api/types";
import { useQuotas, useSetQuotas } from "../api/quotas";

const GB = 1024 ** 3;

/** A meter's amount in its unit, as people read it. */
export function formatAmount(unit: string, value: number): string {
  if (unit === "bytes") return formatBytes(value);
  if (unit === "USD") return `$${value.toFixed(2)}`;
  if (unit === "GPU-hours") return `${value.toFixed(1)} GPU-hours`;
  return `${value} ${value === 1 ? "job" : "jobs"}`;
}

function Meter({ meter }: { meter: QuotaMeter }) {
  const limited = meter.limit !== null && meter.limit !== undefined;
  const over = limited && meter.used >= (meter.limit as number);
  return (
    <li className="space-y-1 py-2">
      <div className="flex items-baseline justify-between gap-3 text-sm">
        <span className="font-medium text-slate-900">{meter.title}</span>
        <span className={over ? "font-medium text-red-700" : "text-slate-700"}>
          {formatAmount(meter.unit, meter.used)} of{" "}
          {limited ? `${formatAmount(meter.unit, meter.limit as number)} (${meter.percent ?? 0}%)` : "unlimited"}
        </span>
      </div>
      <ProgressBar label={`${meter.title} used`} value={meter.used} max={limited ? meter.limit : null} busy={false} />
    </li>
  );
}

type Draft = Record<keyof QuotasUpdate, string>;

function draftOf(quotas: QuotasRead): Draft {
  const limit = (name: string) => quotas.meters.find((m) => m.name === name)?.limit;
  const text = (value: number | null | undefined, scale = 1) => (value === null || value === undefined ? "" : String(value / scale));
  return {
    max_concurrent_jobs: text(limit("max_concurrent_jobs")),
    gpu_hours_per_month: text(limit("gpu_hours_per_month")),
    modal_usd_per_month: text(limit("modal_usd_per_month")),
    storage_bytes: text(limit("storage_bytes"), GB),
  };
}

function parse(draft: Draft): QuotasUpdate {
  const number = (value: string) => (value.trim() === "" ? null : Number(value));
  const storage = number(draft.storage_bytes);
  return {
    max_concurrent_jobs: number(draft.max_concurrent_jobs),
    gpu_hours_per_month: number(draft.gpu_hours_per_month),
    modal_usd_per_month: number(draft.modal_usd_per_month),
    storage_bytes: storage === null ? null : Math.round(storage * GB),
  };
}

function LimitsForm({ quotas, save }: { quotas: QuotasRead; save: ReturnType<typeof useSetQuotas> }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(quotas));
  const field = (name: keyof Draft, label: string, step: string) => (
    <TextField
      label={label}
      type="number"
      min={0}
      step={step}
      inputMode="decimal"
      placeholder="unlimited"
      value={draft[name]}
      onChange={(e) => setDraft((all) => ({ ...all, [name]: e.target.value }))}
    />
  );
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(parse(draft));
  }
  return (
    <form onSubmit={submit} className="space-y-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-2">
        {field("max_concurrent_jobs", "Concurrent jobs", "1")}
        {field("gpu_hours_per_month", "GPU-hours per month", "0.1")}
        {field("modal_usd_per_month", "Modal spend per month (USD)", "0.01")}
        {field("storage_bytes", "Storage (GB)", "0.1")}
      </div>
      <p className="text-xs text-slate-500">Leave a field empty for no limit. Monthly limits count from the 1st (UTC).</p>
      <Button type="submit" pending={save.isPending}>
        Save limits
      </Button>
    </form>
  );
}

/** The Team page's "Usage and quotas" card: meters for everyone, the limits editable by admins and owners. */
export function UsageQuotas({ teamId, role }: { teamId: string; role: Role }) {
  const quotas = useQuotas(teamId);
  // Kept here, not in the form: the form starts afresh from each saved version (its key), and the
  // outcome of the save must outlive that.
  const save = useSetQuotas(teamId);
  if (quotas.isPending) return <p className="text-sm text-slate-500">Loading usage…</p>;
  if (quotas.error) return <ErrorAlert error={quotas.error} />;
  const data = quotas.data;
  const raisers = data.who_can_raise.map((r) => `${r.name} (${r.email})`).join(", ");
  return (
    <div className="space-y-4">
      <ul className="divide-y divide-slate-100">
        {data.meters.map((meter) => (
          <Meter key={meter.name} meter={meter} />
        ))}
      </ul>
      {data.can_edit ? (
        <>
          <LimitsForm key={data.updated_at ?? "never"} quotas={data} save={save} />
          <ErrorAlert error={save.error} />
          {save.isSuccess && <StatusMessage>Limits saved.</StatusMessage>}
        </>
      ) : (
        <p className="text-sm text-slate-600" title={`Only admins and owners change limits; you are a ${role}.`}>
          Limits are set by the team's admins and owners{raisers ? `: ${raisers}` : ""}. Ask one of them to raise a limit.
        </p>
      )}
    </div>
  );
}
