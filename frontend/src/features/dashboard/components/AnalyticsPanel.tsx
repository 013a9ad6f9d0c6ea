import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Pill } from "@/components/ui/Pill";
import type { TeamAnalytics } from "@/lib/api/types";
import { TOOLTIP_ITEM_STYLE, TOOLTIP_LABEL_STYLE } from "@/lib/chart-tooltip";

function Stat({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="rounded-lg bg-slate-50 p-3">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-xl font-semibold text-slate-900">{value}</dd>
      {detail && <dd className="text-xs text-slate-600">{detail}</dd>}
    </div>
  );
}

const hours = (value: number) => value.toFixed(2);

export function AnalyticsPanel({ analytics }: { analytics: TeamAnalytics }) {
  const perDay = analytics.per_day.map((d) => ({ ...d, other: Math.max(0, d.jobs - d.succeeded - d.failed), label: d.day.slice(5) }));
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <Stat label={`Jobs (last ${analytics.days} days)`} value={String(analytics.total_jobs)} />
        <Stat label="Succeeded" value={String(analytics.by_status.succeeded ?? 0)} />
        <Stat
          label="Compute hours"
          value={hours(analytics.gpu_hours + analytics.cpu_hours)}
          detail={`GPU ${hours(analytics.gpu_hours)} · CPU ${hours(analytics.cpu_hours)}`}
        />
        <Stat label="Cloud cost" value={`$${analytics.cost_usd.toFixed(2)}`} />
      </dl>
      {analytics.total_jobs === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-600">
          No jobs in the last {analytics.days} days. Charts of jobs per day, by status and by method appear here once
          the team trains.
        </p>
      )}
      {perDay.length > 0 && (
        <figure aria-label="Jobs per day chart" className="h-56">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={perDay} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey="label" tick={{ fontSize: 11 }} />
              <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
              <Tooltip itemStyle={TOOLTIP_ITEM_STYLE} labelStyle={TOOLTIP_LABEL_STYLE} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Bar maxBarSize={40} dataKey="succeeded" stackId="jobs" fill="#10b981" name="succeeded" isAnimationActive={false} />
              <Bar maxBarSize={40} dataKey="failed" stackId="jobs" fill="#ef4444" name="failed" isAnimationActive={false} />
              <Bar maxBarSize={40} dataKey="other" stackId="jobs" fill="#818cf8" name="other" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      )}
      {analytics.total_jobs > 0 && (
        <div className="grid gap-4 sm:grid-cols-2">
          <div>
            <h3 className="mb-1 text-sm font-medium text-slate-800">By status</h3>
            <ul aria-label="Jobs by status" className="flex flex-wrap gap-2">
              {Object.entries(analytics.by_status).map(([status, n]) => (
                <li key={status}>
                  <Pill>{status}: {n}</Pill>
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h3 className="mb-1 text-sm font-medium text-slate-800">By method</h3>
            <ul aria-label="Jobs by method" className="flex flex-wrap gap-2">
              {Object.entries(analytics.by_method).map(([method, n]) => (
                <li key={method}>
                  <Pill tone="info">{method.toUpperCase()}: {n}</Pill>
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
    </div>
  );
}
