import { useState } from "react";
import { useNavigate } from "react-router";
import { Checkbox } from "@/components/ui/Checkbox";
import { EmptyState } from "@/components/ui/EmptyState";
import { RoleGate } from "@/components/ui/RoleGate";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useDatasets } from "@/lib/api/list-datasets";
import type { DatasetRead } from "@/lib/api/types";
import { useAllDatasets } from "../api/list-all-datasets";
import { DatasetTable } from "../components/DatasetTable";
import { HubImportForm } from "../components/HubImportForm";
import { UploadForm } from "../components/UploadForm";

export function DatasetsRoute() {
  const navigate = useNavigate();
  const { team, error: teamError } = useCurrentTeam();
  const [search, setSearch] = useState("");
  const [showArchived, setShowArchived] = useState(false);
  const active = useDatasets(team?.id);
  const all = useAllDatasets(team?.id, showArchived);
  const datasets = showArchived ? all : active;
  const words = search.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (d: DatasetRead) => words.every((w) => `${d.name} ${d.description}`.toLowerCase().includes(w));
  const shown = datasets.data?.filter(matches);

  return (
    <>
      <PageHeader title="Datasets" description="Training data for your team, versioned and checked before it is used." />
      <div className="space-y-6">
        <ErrorAlert error={teamError ?? datasets.error} />
        {datasets.data && (
          <div className="flex flex-wrap items-end gap-4">
            {datasets.data.length > 0 && (
              <div className="w-full max-w-sm space-y-1">
                <label htmlFor="dataset-search" className="block text-sm font-medium text-slate-800">
                  Search datasets
                </label>
                <input
                  id="dataset-search"
                  type="search"
                  value={search}
                  placeholder="Name or description"
                  onChange={(e) => setSearch(e.target.value)}
                  className="block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600"
                />
              </div>
            )}
            <div className="pb-2">
              <Checkbox
                label="Show archived"
                checked={showArchived}
                onChange={setShowArchived}
                hint="Archived datasets are kept but hidden here and in the training wizard."
              />
            </div>
          </div>
        )}
        {datasets.data && shown ? (
          shown.length > 0 ? (
            <DatasetTable datasets={shown} />
          ) : datasets.data.length > 0 ? (
            <p className="text-sm text-slate-600">No dataset matches “{search.trim()}”.</p>
          ) : showArchived ? (
            <p className="text-sm text-slate-600">No datasets, archived or not.</p>
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
        {team?.role === "viewer" && (
          <p className="text-sm text-slate-600">You are a viewer in {team.name}: ask an owner or admin to make you a member to upload data.</p>
        )}
        {team && (
          <Card title="Upload a dataset">
            <RoleGate needs="member" action="upload data">
              <UploadForm teamId={team.id} onUploaded={(result) => navigate(`/datasets/${result.dataset.id}`)} />
            </RoleGate>
          </Card>
        )}
        {team && (
          <Card title="Import from the Hugging Face Hub">
            <RoleGate needs="member" action="import datasets">
              <HubImportForm teamId={team.id} onImported={(result) => navigate(`/datasets/${result.dataset.id}`)} />
            </RoleGate>
          </Card>
        )}
      </div>
    </>
  );
}
