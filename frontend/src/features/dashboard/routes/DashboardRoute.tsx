import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useMe } from "@/lib/auth/me";
import { useTeamFeed } from "@/lib/realtime/use-team-feed";
import type { TeamAnalytics } from "@/lib/api/types";
import { downloadAnalyticsCsv } from "../api/download-analytics-csv";
import { lastDays, useAnalytics, type Period } from "../api/get-analytics";
import { useFirstSteps } from "../api/get-first-steps";
import { GettingStarted } from "../components/GettingStarted";
import { useInfo } from "@/lib/api/get-info";
import { useRunningJobs } from "../api/list-running-jobs";
import { PeriodPicker } from "../components/PeriodPicker";
import { RecentJobs } from "../components/RecentJobs";
import { RunningJobs } from "../components/RunningJobs";

// Recharts is large: loaded with the analytics card, not with the app.
const AnalyticsPanel = lazy(() => import("../components/AnalyticsPanel").then((m) => ({ default: m.AnalyticsPanel })));

export function DashboardRoute() {
  const me = useMe();
  const info = useInfo();
  const { team } = useCurrentTeam();
  const queryClient = useQueryClient();
  const [period, setPeriod] = useState<Period>(() => lastDays(30));
  const [csvError, setCsvError] = useState<unknown>(null);
  const analytics = useAnalytics(team?.id, period);
  const running = useRunningJobs(team?.id);
  const firstSteps = useFirstSteps(team?.id);
  // The path stays until the team has data and a finished job; the steps after those are not built yet.
  const showFirstSteps = firstSteps.data !== undefined && !(firstSteps.data.hasUsableData && firstSteps.data.hasSucceededJob);
  // Any job change refreshes them all (their keys sit under the team's jobs prefix); a recent job's
  // new status shows at once, before the analytics come back.
  useTeamFeed(team?.id, (message) => {
    if (!team) return;
    if (message) {
      queryClient.setQueriesData<TeamAnalytics>({ queryKey: ["teams", team.id, "jobs", "analytics"] }, (old) =>
        old && {
          ...old,
          recent_jobs: old.recent_jobs.map((job) => (job.id === message.job_id ? { ...job, status: message.status } : job)),
        },
      );
    }
    void queryClient.invalidateQueries({ queryKey: ["teams", team.id, "jobs"] });
  });
  const onCsv = (table?: string) => {
    if (!team) return;
    setCsvError(null);
    downloadAnalyticsCsv(team.id, period, table).catch(setCsvError);
  };
  const name = me.data?.display_name;
  return (
    <>
      <PageHeader title="Dashboard" description={name ? `Welcome, ${name}.` : undefined} />
      <div className="space-y-6">
        {showFirstSteps && firstSteps.data && (
          <Card title="Getting started" description="From your data to a model you can use, in four steps.">
            <GettingStarted progress={firstSteps.data} />
          </Card>
        )}
        <div className="grid gap-6 lg:grid-cols-2">
          <Card title="Running jobs">
            {running.error ? <ErrorAlert error={running.error} /> : !running.data ? <p className="text-sm text-slate-500">Loading…</p> : <RunningJobs jobs={running.data} hasUsableData={firstSteps.data?.hasUsableData ?? true} />}
          </Card>
          <Card title="Workers online">
            {info.error ? (
              <ErrorAlert error={info.error} />
            ) : !info.data ? (
              <p className="text-sm text-slate-500">Loading…</p>
            ) : info.data.workers.length === 0 ? (
              <p className="text-sm text-slate-600">No worker is connected: start one with `tuneforge worker`.</p>
            ) : (
              <ul className="divide-y divide-slate-100 text-sm">
                {info.data.workers.map((worker) => (
                  <li key={worker.name} className="py-2">
                    <p className="font-medium text-slate-900">{worker.name}</p>
                    <p className="text-xs text-slate-600">
                      {worker.hostname} · {worker.executors.join(", ")} ·{" "}
                      {worker.devices.map((d) => `${d.name} (${d.type})`).join(", ")} · up to{" "}
                      {worker.max_concurrent_jobs} job{worker.max_concurrent_jobs === 1 ? "" : "s"}
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
        <Card title="Training analytics" description="The team's jobs created in the period (UTC days).">
          <div className="space-y-4">
            <PeriodPicker period={period} onChange={setPeriod} />
            {csvError ? <ErrorAlert error={csvError} /> : null}
            {analytics.error ? (
              <ErrorAlert error={analytics.error} />
            ) : !analytics.data ? (
              <p className="text-sm text-slate-500">Loading…</p>
            ) : (
              <Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>
                <AnalyticsPanel analytics={analytics.data} onCsv={onCsv} />
              </Suspense>
            )}
          </div>
        </Card>
        <Card title="Recent jobs" description="The period's last ten jobs; their status updates live.">
          {analytics.data ? <RecentJobs jobs={analytics.data.recent_jobs} /> : <p className="text-sm text-slate-500">Loading…</p>}
        </Card>
        <Card title="Platform">
          {info.error ? (
            <ErrorAlert error={info.error} />
          ) : !info.data ? (
            <p className="text-sm text-slate-500">Loading…</p>
          ) : (
            <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
              <InfoRow label="Version" value={info.data.version} />
              <InfoRow label="Training methods" value={names(info.data.methods)} />
              <InfoRow label="Adapters" value={names(info.data.adapters)} />
              <InfoRow label="Executors" value={names(info.data.executors)} />
              <InfoRow
                label="Workers connected"
                value={info.data.workers.length === 0 ? "none yet" : String(info.data.workers.length)}
              />
            </dl>
          )}
        </Card>
      </div>
    </>
  );
}

/** Capabilities are objects described by the training library; show their names. */
function names(items: ReadonlyArray<Record<string, unknown>>): string {
  return items
    .map((item) => (typeof item.name === "string" ? item.name : null))
    .filter((name): name is string => name !== null)
    .join(", ");
}

function InfoRow({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="font-medium text-slate-500">{label}</dt>
      <dd className="text-slate-900">{value || "—"}</dd>
    </div>
  );
}
