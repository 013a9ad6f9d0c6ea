import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { useMe } from "@/lib/auth/me";
import { useInfo } from "../api/get-info";

export function DashboardRoute() {
  const me = useMe();
  const info = useInfo();
  const name = me.data?.display_name;
  return (
    <>
      <PageHeader title="Dashboard" description={name ? `Welcome, ${name}.` : undefined} />
      <div className="space-y-6">
        <EmptyState title="No training runs yet">
          <p>
            Your team's recent and running training jobs will appear here with live loss curves, progress and ETA,
            alongside the latest model versions and what each worker's GPU or CPU is doing.
          </p>
        </EmptyState>
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
