import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { RoleGate } from "@/components/ui/RoleGate";
import { Card, PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import type { UploadResult } from "@/lib/api/types";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useDataset } from "../api/get-dataset";
import { useVersions } from "@/lib/api/list-versions";
import { IssuesPanel } from "../components/IssuesPanel";
import { ManageDataset } from "../components/ManageDataset";
import { PreviewPanel, type RowFocus } from "../components/PreviewPanel";
import { UploadForm } from "../components/UploadForm";
import { VersionActions } from "../components/VersionActions";
import { VersionList } from "../components/VersionList";
import { VersionSummary } from "../components/VersionSummary";

export function DatasetDetailRoute() {
  const { datasetId = "" } = useParams();
  const [searchParams] = useSearchParams();
  const navigate = useNavigate();
  const { team } = useCurrentTeam();
  const dataset = useDataset(team?.id, datasetId);
  const versions = useVersions(team?.id, datasetId);
  const selected = versions.data?.find((v) => v.id === searchParams.get("version")) ?? versions.data?.[0];
  const showVersion = (result: UploadResult) => navigate(`/datasets/${result.dataset.id}?version=${result.version.id}`);
  // A derived version (mapping, drop, fill, split) with the same rows as an existing one: say so, and go there.
  const [notice, setNotice] = useState<{ versionId: string; text: string } | null>(null);
  const [focus, setFocus] = useState<(RowFocus & { versionId: string }) | null>(null);
  const showDerived = (result: UploadResult) => {
    setNotice(
      result.created
        ? null
        : {
            versionId: result.version.id,
            text: `This gives the same rows as version ${result.version.number}, so nothing new was stored${
              result.version.id === selected?.id ? "." : `; showing version ${result.version.number}.`
            }`,
          },
    );
    showVersion(result);
  };

  if (dataset.error || versions.error) {
    return (
      <>
        <PageHeader title="Dataset" />
        <ErrorAlert error={dataset.error ?? versions.error} />
        <Link to="/datasets" className="mt-4 inline-block text-sm font-semibold text-indigo-600">
          Back to datasets
        </Link>
      </>
    );
  }
  if (!team || !dataset.data || !versions.data) return <PageLoader label="Loading dataset…" />;

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link to="/datasets" className="text-indigo-600 hover:underline">
          ← All datasets
        </Link>
      </nav>
      <PageHeader title={dataset.data.name} description={dataset.data.description || undefined} />
      <RoleGate needs="member" action="edit, archive or delete datasets">
        <div className="mb-6">
          <ManageDataset
            key={`${dataset.data.id}-${dataset.data.updated_at}`}
            teamId={team.id}
            dataset={dataset.data}
            onDeleted={() => navigate("/datasets")}
          />
        </div>
      </RoleGate>
      <div className="grid gap-6 lg:grid-cols-[16rem_1fr]">
        <aside className="space-y-3">
          <h2 className="text-sm font-semibold text-slate-700">History</h2>
          <VersionList versions={versions.data} selectedId={selected?.id} />
        </aside>
        <div className="min-w-0 space-y-6">
          {selected && (
            <div key={selected.id} className="space-y-6">
              {notice?.versionId === selected.id && <StatusMessage>{notice.text}</StatusMessage>}
              <VersionSummary teamId={team.id} datasetName={dataset.data.name} version={selected} />
              <RoleGate needs="member" action="edit data">
                <VersionActions teamId={team.id} version={selected} onNewVersion={showDerived} />
              </RoleGate>
              <IssuesPanel
                teamId={team.id}
                datasetId={datasetId}
                versionId={selected.id}
                summary={selected.issues_summary}
                onJump={selected.splits.length <= 1 ? (row) => setFocus({ row, seq: (focus?.seq ?? 0) + 1, versionId: selected.id }) : undefined}
              />
              <PreviewPanel
                key={selected.id}
                teamId={team.id}
                datasetId={datasetId}
                versionId={selected.id}
                splits={selected.splits}
                tokenizer={(selected.options as { base_model?: string }).base_model}
                focus={focus?.versionId === selected.id ? focus : null}
              />
            </div>
          )}
          <Card title="Upload a new version" description="Same dataset, new files: the history keeps every version.">
            <RoleGate needs="member" action="upload data">
              <UploadForm
                teamId={team.id}
                datasetId={datasetId}
                onUploaded={(result) => {
                  setNotice(null);
                  showVersion(result);
                }}
              />
            </RoleGate>
          </Card>
        </div>
      </div>
    </>
  );
}
