import { Link, useSearchParams } from "react-router";
import { RoleGate } from "@/components/ui/RoleGate";
import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import { useTeamModelVersions } from "@/lib/api/list-model-versions";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { formatDateTime } from "@/lib/format";
import { useBatches } from "../api/list-batches";
import { BatchForm } from "../components/BatchForm";
import { BatchStatus } from "../components/BatchStatus";
import { decodeTarget } from "../lib/batch";

/**
 * /playground/batch: answer a dataset version's prompts with several models and score them.
 * `?targets=<id>,base:<id>,…` preselects the models (the models' compare page links here).
 */
export function BatchCompareRoute() {
  const { team } = useCurrentTeam();
  const [params] = useSearchParams();
  const versions = useTeamModelVersions(team?.id);
  const batches = useBatches(team?.id);
  const initialTargets = (params.get("targets") ?? "")
    .split(",")
    .filter(Boolean)
    .map((t) => decodeTarget(t.includes(":") ? t : `v:${t}`))
    .filter((t) => t !== null);

  const header = (
    <PageHeader
      title="Batch compare"
      description="Answer a dataset's prompts with two to four models, score the answers, and pick the better ones."
      actions={<Link className="text-sm text-indigo-700 hover:underline" to="/playground">Back to the playground</Link>}
    />
  );
  if (!team || versions.isPending) return <>{header}<PageLoader label="Loading the model versions" /></>;
  if (versions.isError) return <>{header}<ErrorAlert error={versions.error} /></>;
  return (
    <>
      {header}
      <div className="space-y-6">
        {versions.data.length === 0 ? (
          <EmptyState title="No model versions yet">
            <p>Each training run that finishes adds a model version; compare them here once you have one.</p>
          </EmptyState>
        ) : (
          <Card title="New comparison">
            <RoleGate needs="member" action="start batch compares">
              <BatchForm teamId={team.id} versions={versions.data} initialTargets={initialTargets} />
            </RoleGate>
          </Card>
        )}
        <Card title="Recent comparisons">
          <ErrorAlert error={batches.error} />
          {batches.data?.length === 0 && <p className="text-sm text-slate-600">None yet.</p>}
          {(batches.data?.length ?? 0) > 0 && (
            <ul aria-label="Recent comparisons" className="divide-y divide-slate-100">
              {batches.data!.map((b) => (
                <li key={b.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                  <div className="min-w-0 break-words">
                    <Link className="font-medium text-indigo-700 hover:underline" to={`/playground/batch/${b.id}`}>
                      {b.targets.map((t) => t.label).join(" vs ")}
                    </Link>
                    <p className="break-words text-xs text-slate-600">
                      on {b.dataset_name ?? "a deleted dataset"} · {b.done_rows} of {b.total_rows || "?"} answers ·{" "}
                      {formatDateTime(b.created_at)}
                    </p>
                  </div>
                  <BatchStatus status={b.status} />
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
