import { useNavigate } from "react-router";
import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useDatasets } from "../api/list-datasets";
import { DatasetTable } from "../components/DatasetTable";
import { UploadForm } from "../components/UploadForm";

export function DatasetsRoute() {
  const navigate = useNavigate();
  const { team, error: teamError } = useCurrentTeam();
  const datasets = useDatasets(team?.id);

  return (
    <>
      <PageHeader title="Datasets" description="Training data for your team, versioned and checked before it is used." />
      <div className="space-y-6">
        <ErrorAlert error={teamError ?? datasets.error} />
        {datasets.data ? (
          datasets.data.length > 0 ? (
            <DatasetTable datasets={datasets.data} />
          ) : (
            <EmptyState title="No datasets yet">
              <p>Upload JSONL, CSV, Parquet, text or Markdown; TuneForge validates, versions and previews them.</p>
              <p className="mt-2">
                Chat, instruction, preference and plain-text formats (Alpaca, ShareGPT, OpenAI chat, Dolly, HH) are
                recognised and mapped onto the shape each training method needs; problems are listed row by row.
              </p>
            </EmptyState>
          )
        ) : (
          !datasets.error && <PageLoader label="Loading datasets…" />
        )}
        {team && team.role !== "viewer" && (
          <Card title="Upload a dataset">
            <UploadForm teamId={team.id} onUploaded={(result) => navigate(`/datasets/${result.dataset.id}`)} />
          </Card>
        )}
        {team?.role === "viewer" && (
          <p className="text-sm text-slate-600">You are a viewer in {team.name}: ask an owner or admin to make you a member to upload data.</p>
        )}
      </div>
    </>
  );
}
