import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import type { UploadResult } from "@/lib/api/types";
import { useImportFromHub } from "../api/import-from-hub";

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Import a Hugging Face Hub dataset (one config's split) as a new dataset, read like an upload. */
export function HubImportForm({ teamId, onImported }: { teamId: string; onImported: (result: UploadResult) => void }) {
  const [hubId, setHubId] = useState("");
  const [config, setConfig] = useState("");
  const [split, setSplit] = useState("");
  const [revision, setRevision] = useState("");
  const [rowLimit, setRowLimit] = useState("");
  const [clientError, setClientError] = useState<string | null>(null);
  const imported = useImportFromHub();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const id = hubId.trim();
    const limit = rowLimit.trim() ? Number(rowLimit) : null;
    const problem = !HUB_ID.test(id)
      ? "Give the dataset's id as owner/name, e.g. HuggingFaceH4/no_robots."
      : limit !== null && (!Number.isInteger(limit) || limit < 1)
        ? "The row limit must be a whole number of 1 or more."
        : null;
    setClientError(problem);
    if (problem) return;
    imported.mutate(
      {
        teamId,
        hub_id: id,
        config: config.trim() || null,
        split: split.trim() || null,
        revision: revision.trim() || "main",
        row_limit: limit,
      },
      { onSuccess: onImported },
    );
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Import from the Hugging Face Hub">
      <TextField label="Hub dataset id" value={hubId} onChange={(e) => setHubId(e.target.value)} placeholder="owner/name" />
      <div className="grid gap-4 sm:grid-cols-4">
        <TextField label="Config" value={config} onChange={(e) => setConfig(e.target.value)} placeholder="default" />
        <TextField label="Split" value={split} onChange={(e) => setSplit(e.target.value)} placeholder="train" />
        <TextField label="Revision" value={revision} onChange={(e) => setRevision(e.target.value)} placeholder="main" />
        <TextField label="Row limit" value={rowLimit} onChange={(e) => setRowLimit(e.target.value)} placeholder="all rows" inputMode="numeric" />
      </div>
      {clientError && <p className="text-sm text-red-700" role="alert">{clientError}</p>}
      <ErrorAlert error={imported.error} />
      {imported.isPending && (
        <p className="text-sm text-slate-600" role="status">
          Downloading from the Hub and checking the rows…
        </p>
      )}
      <Button type="submit" disabled={imported.isPending}>
        {imported.isPending ? "Importing…" : "Import"}
      </Button>
    </form>
  );
}
