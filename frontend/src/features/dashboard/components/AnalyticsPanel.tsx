import { Link } from "react-router";
import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { TeamAnalytics } from "@/lib/api/types";
import { TOOLTIP_ITEM_STYLE, TOOLTIP_LABEL_STYLE } from "@/lib/chart-tooltip";
import { isoDay } from "../api/get-analytics";
import { ChartCard } from "./ChartCard";

// Statuses in the order a job lives them; colours shared by the stacked bars and their legend.
const STATUSES: { status: string; color: string }[] = [
  { status: "succeeded", color: "#10b981" },
  { status: "failed", color: "#ef4444" },
  { status: "cancelled", color: "#64748b" },
  { status: "interrupted", color: "#f97316" },
  { status: "running", color: "#6366f1" },
  { status: "cancelling", color: "#f59e0b" },
  { status: "queued", color: "#94a3b8" },
];

export const CAUSE_LABELS: Record<string, string> = {
  out_of_memory: "Out of memory",
  data: "Data",
  configuration: "Configuration",
  interrupted: "Interrupted",
  cancelled: "Cancelled",
  other: "Other",
};

const GPU = "#6366f1";
const CPU = "#94a3b8";
const tooltip = { itemStyle: TOOLTIP_ITEM_STYLE, labelStyle: TOOLTIP_LABEL_STYLE } as const;
const axis = { tick: { fontSize: 11 } } as const;

const hours = (value: number) => value.toFixed(2);
const usd = (value: number) => `$${value.toFixed(2)}`;
const loss = (value: number | null) => (value === null ? "—" : value.toFixed(3));

/** 42 s, 3.5 min, 2.1 h: a duration at the scale a person reads it. */
export function duration(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** "in the last 30 days" for a period that ends today (UTC), else "from 2026-03-01 to 2026-03-10". */
export function describePeriod(from: string, to: string, today = isoDay(new Date())): string {
  if (to !== today) return `from ${from} to ${to}`;
  const days = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
  return days === 1 ? "today" : `in the last ${days} days`;
}

function Stat({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="rounded-lg bg-slate-50 p-3">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-xl font-semibold text-slate-900">{value}</dd>
      {detail && <dd className="text-xs text-slate-600">{detail}</dd>}
    </div>
  );
}

export function AnalyticsPanel({
  analytics: a,
  onCsv,
}: {
  analytics: TeamAnalytics;
  /** Downloads one table as CSV (by its API name), or all of them without one. */
  onCsv: (table?: string) => void;
}) {
  const statuses = STATUSES.filter(({ status }) => (a.by_status[status] ?? 0) > 0);
  const perDay = a.per_day.map((d) => ({ label: d.day.slice(5), day: d.day, ...d.by_status }));
  const months = a.modal_cost_by_month.map((m) => ({ ...m, label: m.month.slice(0, 7) }));
  const causes = a.failure_causes.map((c) => ({ ...c, label: CAUSE_LABELS[c.cause] ?? c.cause }));
  const inv = a.inventory;
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
        <Stat label="Jobs" value={String(a.total_jobs)} detail={`${a.by_status.succeeded ?? 0} succeeded`} />
        <Stat
          label="Success rate"
          value={a.success_rate === null ? "—" : `${Math.round(a.success_rate * 100)}%`}
          detail="of jobs that ended"
        />
        <Stat label="Median queue wait" value={duration(a.median_queue_wait_s)} />
        <Stat label="Median run time" value={duration(a.median_run_time_s)} />
        <Stat
          label="Compute hours"
          value={hours(a.gpu_hours + a.cpu_hours)}
          detail={`GPU ${hours(a.gpu_hours)} · CPU ${hours(a.cpu_hours)}`}
        />
        <Stat
          label="Modal cost"
          value={usd(a.cost_usd)}
          detail={a.modal_budget_usd === null ? "no monthly budget" : `budget ${usd(a.modal_budget_usd)} a month`}
        />
      </dl>
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4" aria-label="Team inventory">
        {(
          [
            ["Datasets", inv.datasets],
            ["Dataset versions", inv.dataset_versions],
            ["Models", inv.models],
            ["Model versions", inv.model_versions],
          ] as const
        ).map(([label, counts]) => (
          <div key={label}>
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className="text-slate-900">
              <span className="font-semibold">{counts.total}</span>{" "}
              <span className="text-xs text-slate-600">({counts.created} new in the period)</span>
            </dd>
          </div>
        ))}
      </dl>
      {a.total_jobs === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-600">
          No jobs {describePeriod(a.from, a.to)}. Charts of jobs per day, compute hours, cost and failures appear here once the
          team trains.
        </p>
      )}
      {a.total_jobs > 0 && (
        <div className="grid gap-4 lg:grid-cols-2">
          <ChartCard
            title="Jobs per day"
            onCsv={() => onCsv("jobs_per_day")}
            table={{
              columns: ["Day", "Total", ...statuses.map((s) => s.status)],
              rows: a.per_day
                .filter((d) => d.total > 0)
                .map((d) => [d.day, d.total, ...statuses.map((s) => d.by_status[s.status] ?? 0)]),
            }}
          >
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={perDay} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                <XAxis dataKey="label" {...axis} />
                <YAxis allowDecimals={false} {...axis} />
                <Tooltip {...tooltip} labelFormatter={(_, payload) => payload?.[0]?.payload?.day ?? ""} />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                {statuses.map(({ status, color }) => (
                  <Bar key={status} dataKey={status} stackId="jobs" fill={color} maxBarSize={40} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </ChartCard>

          <ChartCard
            title="Failure causes"
            onCsv={() => onCsv("failure_causes")}
            empty="No job failed, was interrupted or cancelled in this period."
            table={{
              columns: ["Cause", "Jobs", "Recent jobs"],
              rows: causes.map((c) => [c.label, c.jobs, <JobLinks key={c.cause} jobs={c.examples.slice(0, 5)} />]),
            }}
          >
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={causes} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                <XAxis dataKey="label" {...axis} />
                <YAxis allowDecimals={false} {...axis} />
                <Tooltip {...tooltip} />
                <Bar dataKey="jobs" name="jobs" fill="#ef4444" maxBarSize={40} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </ChartCard>

          <ChartCard
            title="Compute hours by method"
            onCsv={() => onCsv("compute_by_method")}
            table={{
              columns: ["Method", "Jobs", "GPU hours", "CPU hours"],
              rows: a.compute_by_method.map((m) => [m.method.toUpperCase(), m.jobs, hours(m.gpu_hours), hours(m.cpu_hours)]),
            }}
          >
            <HoursChart data={a.compute_by_method.map((m) => ({ ...m, label: m.method.toUpperCase() }))} />
          </ChartCard>

          <ChartCard
            title="Compute hours by member"
            onCsv={() => onCsv("compute_by_member")}
            table={{
              columns: ["Member", "Jobs", "GPU hours", "CPU hours"],
              rows: a.compute_by_member.map((m) => [m.name, m.jobs, hours(m.gpu_hours), hours(m.cpu_hours)]),
            }}
          >
            <HoursChart data={a.compute_by_member.map((m) => ({ ...m, label: m.name }))} />
          </ChartCard>

          <ChartCard
            title="Modal cost by month"
            onCsv={() => onCsv("modal_cost_by_month")}
            table={{
              columns: ["Month", "Cost", "Budget"],
              rows: months.map((m) => [m.label, usd(m.cost_usd), m.budget_usd === null ? "none" : usd(m.budget_usd)]),
            }}
          >
            <ResponsiveContainer width="100%" height="100%">
              <ComposedChart data={months} margin={{ top: 4, right: 8, bottom: 0, left: -8 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                <XAxis dataKey="label" {...axis} />
                <YAxis {...axis} tickFormatter={(v: number) => `$${v}`} />
                <Tooltip {...tooltip} formatter={(value) => (typeof value === "number" ? usd(value) : String(value))} />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                <Bar dataKey="cost_usd" name="cost" fill={GPU} maxBarSize={40} isAnimationActive={false} />
                {a.modal_budget_usd !== null && (
                  <Line dataKey="budget_usd" name="budget" stroke="#ef4444" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
                )}
              </ComposedChart>
            </ResponsiveContainer>
          </ChartCard>

          <ChartCard
            title="Final loss by method"
            onCsv={() => onCsv("loss_by_method")}
            empty="No succeeded job reported a final loss in this period."
            table={{
              columns: ["Method", "Jobs", "Median final loss", "Mean final loss", "Median eval loss"],
              rows: a.loss_by_method.map((m) => [
                m.method.toUpperCase(),
                m.jobs,
                loss(m.median_final_loss),
                loss(m.mean_final_loss),
                loss(m.median_eval_loss),
              ]),
            }}
          >
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={a.loss_by_method.map((m) => ({ ...m, label: m.method.toUpperCase() }))} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                <XAxis dataKey="label" {...axis} />
                <YAxis {...axis} />
                <Tooltip {...tooltip} formatter={(value) => (typeof value === "number" ? value.toFixed(3) : String(value))} />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                <Bar dataKey="median_final_loss" name="median final loss" fill={GPU} maxBarSize={40} isAnimationActive={false} />
                <Bar dataKey="median_eval_loss" name="median eval loss" fill="#f59e0b" maxBarSize={40} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </ChartCard>
        </div>
      )}
      {a.failure_causes.length > 0 && (
        <div>
          <h3 className="mb-1 text-sm font-medium text-slate-800">Jobs that did not succeed</h3>
          <ul aria-label="Failure causes" className="space-y-1 text-sm">
            {causes.map((c) => (
              <li key={c.cause} className="flex flex-wrap items-baseline gap-x-2">
                <span className="font-medium text-slate-800">
                  {c.label}: {c.jobs}
                </span>
                <JobLinks jobs={c.examples.slice(0, 5)} />
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="flex justify-end">
        <button
          type="button"
          onClick={() => onCsv()}
          className="rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
        >
          Export all as CSV
        </button>
      </div>
    </div>
  );
}

export function JobLinks({ jobs }: { jobs: { id: string; name: string }[] }) {
  return (
    <span className="inline-flex flex-wrap gap-x-2">
      {jobs.map((job) => (
        <Link key={job.id} to={`/training/${job.id}`} className="text-indigo-700 underline hover:text-indigo-900">
          {job.name}
        </Link>
      ))}
    </span>
  );
}

function HoursChart({ data }: { data: { label: string; gpu_hours: number; cpu_hours: number }[] }) {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        <XAxis dataKey="label" {...axis} />
        <YAxis {...axis} />
        <Tooltip {...tooltip} formatter={(value) => (typeof value === "number" ? `${hours(value)} h` : String(value))} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar dataKey="gpu_hours" name="GPU hours" stackId="hours" fill={GPU} maxBarSize={40} isAnimationActive={false} />
        <Bar dataKey="cpu_hours" name="CPU hours" stackId="hours" fill={CPU} maxBarSize={40} isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}
