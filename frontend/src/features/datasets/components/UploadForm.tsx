import { useId, useRef, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import type { UploadResult } from "@/lib/api/types";
import { formatBytes } from "@/lib/format";
import { useUploadDataset } from "../api/upload-dataset";

const ACCEPT = ".jsonl,.ndjson,.json,.csv,.tsv,.parquet,.txt,.md,.zip";

export function UploadForm({
  teamId,
  datasetId,
  onUploaded,
}: {
  teamId: string;
  datasetId?: string;
  onUploaded: (result: UploadResult) => void;
}) {
  const fileInputId = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [name, setName] = useState("");
  const [notes, setNotes] = useState("");
  const [clientError, setClientError] = useState<string | null>(null);
  const [unchanged, setUnchanged] = useState<string | null>(null);
  const upload = useUploadDataset();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setUnchanged(null);
    setClientError(files.length ? null : "Choose one or more files to upload.");
    if (!files.length) return;
    upload.mutate(
      { teamId, datasetId, files, name, notes },
      {
        onSuccess: (result) => {
          setFiles([]);
          setName("");
          setNotes("");
          if (fileInput.current) fileInput.current.value = "";
          if (!result.created) {
            setUnchanged(`This content is identical to version ${result.version.number}; nothing new was stored.`);
          }
          onUploaded(result);
        },
      },
    );
  }

  const progress = upload.progress;
  const percent = progress && progress.total > 0 ? Math.min(100, Math.round((progress.loaded / progress.total) * 100)) : 0;
  const analysing = upload.isPending && progress !== null && percent >= 100;

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <div className="space-y-1">
        <label htmlFor={fileInputId} className="block text-sm font-medium text-slate-800">
          Files
        </label>
        <input
          ref={fileInput}
          id={fileInputId}
          type="file"
          multiple
          accept={ACCEPT}
          onChange={(event) => setFiles(Array.from(event.target.files ?? []))}
          className="block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-indigo-50 file:px-3 file:py-2 file:text-sm file:font-semibold file:text-indigo-700 hover:file:bg-indigo-100"
          aria-describedby={`${fileInputId}-hint`}
        />
        <p id={`${fileInputId}-hint`} className="text-xs text-slate-500">
          JSONL, JSON, CSV, TSV, Parquet, or text/Markdown documents (.txt, .md, .zip of them). Several files of one
          family make one dataset.
          {files.length > 0 &&
            ` Selected: ${files.map((f) => f.name).join(", ")} (${formatBytes(files.reduce((s, f) => s + f.size, 0))}).`}
        </p>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        {!datasetId && (
          <TextField
            label="Dataset name"
            hint="Optional: defaults to the first file's name."
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        )}
        <TextField
          label="Version notes"
          hint="Optional: what this version is, for your teammates."
          maxLength={2000}
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
        />
      </div>
      {upload.isPending && progress && (
        <div className="space-y-1">
          <div
            role="progressbar"
            aria-label="Upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
          >
            <div className="h-full rounded-full bg-indigo-600 transition-[width]" style={{ width: `${percent}%` }} />
          </div>
          <p className="text-xs text-slate-600" aria-live="polite">
            {analysing
              ? "Analysing… TuneForge is reading and validating every row."
              : `Uploading ${percent}% (${formatBytes(progress.loaded)} of ${formatBytes(progress.total)})`}
          </p>
        </div>
      )}
      <ErrorAlert error={clientError ?? upload.error} />
      <StatusMessage>{unchanged}</StatusMessage>
      <Button type="submit" pending={upload.isPending}>
        {datasetId ? "Upload new version" : "Upload dataset"}
      </Button>
    </form>
  );
}
