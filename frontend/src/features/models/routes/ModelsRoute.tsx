import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { Button } from "@/components/ui/Button";
import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { Pill } from "@/components/ui/Pill";
import { PageLoader } from "@/components/ui/Spinner";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useModels, useModelVersions, VERSIONS_PAGE } from "../api/models";
import { formatValue } from "../lib";

export function ModelsRoute() {
  const { team } = useCurrentTeam();
  const models = useModels(team?.id);
  const [shown, setShown] = useState(VERSIONS_PAGE);
  const versions = useModelVersions(team?.id, true, shown);
  const [selected, setSelected] = useState<string[]>([]);
  const navigate = useNavigate();

  const header = (
    <PageHeader
      title="Models"
      description="Each finished training run adds a version to a model of your team, with its lineage."
      actions={
        <div className="flex flex-wrap gap-3 text-sm">
          <Link className="text-indigo-700 hover:underline" to="/playground">Playground</Link>
          <Link className="text-indigo-700 hover:underline" to="/playground/batch">Batch compare on a dataset</Link>
        </div>
      }
    />
  );
  if (models.isPending || versions.isPending) return <>{header}<PageLoader label="Loading" /></>;
  if (models.isError) return <>{header}<ErrorAlert error={models.error} /></>;
  if (!models.data.length) {
    return (
      <>
        {header}
        <EmptyState title="No model versions yet">
          <p>
            Each training run that finishes adds a model version here, in a model named after the job (a launch through the
            API can name an existing model with <code>register_as</code>). Compare versions, tag them (production, candidate)
            and start new jobs from them.
          </p>
        </EmptyState>
      </>
    );
  }
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id].slice(-8)));
  return (
    <>
      {header}
      <div className="space-y-6">
        <Card title="Models">
          <table className="min-w-full text-sm" aria-label="Models">
            <thead>
              <tr className="text-left text-slate-600">
                <th className="py-1 pr-4 font-medium">Model</th>
                <th className="py-1 pr-4 font-medium">Latest version</th>
                <th className="py-1 pr-4 font-medium">Tags</th>
                <th className="py-1 pr-4 font-medium">Key metric</th>
              </tr>
            </thead>
            <tbody>
              {models.data.map((model) => (
                <tr key={model.id} className="border-t border-slate-100">
                  <td className="py-2 pr-4 font-medium text-slate-900">
                    {model.name} <span className="text-xs text-slate-500">({model.version_count} versions)</span>
                  </td>
                  <td className="py-2 pr-4">
                    {model.latest ? (
                      <Link className="text-indigo-700 hover:underline" to={`/models/versions/${model.latest.id}`}>
                        v{model.latest.number}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className="py-2 pr-4 space-x-1">
                    {Object.entries(model.tags).map(([tag, number]) => (
                      <Pill key={tag} tone={tag === "production" ? "success" : "info"}>
                        {tag}: v{number}
                      </Pill>
                    ))}
                  </td>
                  <td className="py-2 pr-4 font-mono text-xs">
                    {model.latest?.key_metric ? `${model.latest.key_metric.name} ${formatValue(model.latest.key_metric.value)}` : "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Versions" description="Pick two or more to compare them side by side.">
          <div className="mb-3">
            <Button
              disabled={selected.length < 2}
              onClick={() => navigate(`/models/compare?ids=${selected.join(",")}`)}
            >
              Compare {selected.length >= 2 ? `${selected.length} versions` : "selected"}
            </Button>
          </div>
          <ul className="divide-y divide-slate-100">
            {(versions.data?.items ?? []).map((v) => (
              <li key={v.id} className="flex items-center gap-3 py-2 text-sm">
                <input
                  type="checkbox"
                  aria-label={`Select ${v.model_name} v${v.number}`}
                  checked={selected.includes(v.id)}
                  onChange={() => toggle(v.id)}
                />
                <Link className="text-indigo-700 hover:underline" to={`/models/versions/${v.id}`}>
                  {v.model_name} v{v.number}
                </Link>
                {v.tags.map((tag) => (
                  <Pill key={tag}>{tag}</Pill>
                ))}
                {v.archived && <Pill tone="warning">archived</Pill>}
                <span className="text-xs text-slate-500">from {v.base_model}</span>
              </li>
            ))}
          </ul>
          {versions.data && versions.data.items.length < versions.data.total && (
            <div className="mt-3 flex items-center gap-3 text-sm text-slate-600">
              <span>
                Showing the newest {versions.data.items.length} of {versions.data.total} versions.
              </span>
              <Button variant="secondary" disabled={versions.isFetching} onClick={() => setShown((n) => n + VERSIONS_PAGE)}>
                {versions.isFetching ? "Loading…" : "Show more"}
              </Button>
            </div>
          )}
        </Card>
      </div>
    </>
  );
}
