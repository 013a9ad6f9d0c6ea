import { useId, useRef, useState, type DragEvent, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { cn } from "@/components/ui/cn";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { SelectField } from "@/components/ui/SelectField";
import { TextField } from "@/components/ui/TextField";
import type { UploadResult } from "@/lib/api/types";
import { formatBytes } from "@/lib/format";
import { BASE_MODELS } from "../api/get-rendered-row";
import { useUploadDataset } from "../api/upload-dataset";

const ACCEPT = ".jsonl,.ndjson,.json,.csv,.tsv,.parquet,.txt,.md,.zip";
const EXTENSIONS = ACCEPT.split(",");

const READABLE = "upload JSONL, JSON, CSV/TSV, Parquet, text, Markdown or a zip of them";

/** Why TuneForge cannot take this file, naming it ("report.pdf: PDF files can't be read; …"). */
export function refusalReason(name: string): string {
  const dot = name.lastIndexOf(".");
  const what = dot > 0 && dot < name.length - 1 ? `${name.slice(dot + 1).toUpperCase()} files` : "Files without an extension";
  return `${name}: ${what} can't be read; ${READABLE}`;
}

/** The files TuneForge reads, and a reason for each one it does not. */
function sortFiles(files: File[]): { accepted: File[]; refused: string[] } {
  const readable = (f: File) => EXTENSIONS.some((ext) => f.name.toLowerCase().endsWith(ext));
  return { accepted: files.filter(readable), refused: files.filter((f) => !readable(f)).map((f) => refusalReason(f.name)) };
}

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
  const [refused, setRefused] = useState<string[]>([]);
  const [unchanged, setUnchanged] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [tokenizer, setTokenizer] = useState<string>(BASE_MODELS[0]);
  const [maxLength, setMaxLength] = useState("2048");
  const maxLengthError =
    Number.isInteger(Number(maxLength)) && Number(maxLength) >= 16 && Number(maxLength) <= 131072
      ? null
      : "A whole number of tokens from 16 to 131072.";
  const upload = useUploadDataset();

  function choose(list: File[]) {
    const sorted = sortFiles(list);
    setFiles(sorted.accepted);
    setRefused(sorted.refused);
    setClientError(null);
    setUnchanged(null);
  }

  function drop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    if (fileInput.current) fileInput.current.value = "";
    choose(Array.from(event.dataTransfer.files));
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setUnchanged(null);
    setClientError(
      files.length
        ? null
        : refused.length
          ? "None of the chosen files can be uploaded; choose files TuneForge can read."
          : "Choose one or more files to upload.",
    );
    if (!files.length || maxLengthError) return;
    upload.mutate(
      { teamId, datasetId, files, name, notes, tokenizer, maxLength: Number(maxLength) },
      {
        onSuccess: (result) => {
          setFiles([]);
          setRefused([]);
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
      <div
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
        className={cn(
          "space-y-2 rounded-lg border-2 border-dashed p-4 transition-colors",
          dragging ? "border-indigo-500 bg-indigo-50" : "border-slate-300 bg-slate-50/50",
        )}
      >
        <label htmlFor={fileInputId} className="block text-sm font-medium text-slate-800">
          Files
        </label>
        <p className="text-sm text-slate-600">Drop files here, or choose them:</p>
        <input
          ref={fileInput}
          id={fileInputId}
          type="file"
          multiple
          accept={ACCEPT}
          onChange={(event) => choose(Array.from(event.target.files ?? []))}
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
        <SelectField
          label="Count tokens with"
          hint="Whose tokenizer measures row lengths for the stats and the preview."
          value={tokenizer}
          onChange={(e) => setTokenizer(e.target.value)}
          options={BASE_MODELS.map((name) => ({ value: name, label: name }))}
        />
        <TextField
          label="Flag rows longer than (tokens)"
          inputMode="numeric"
          value={maxLength}
          onChange={(e) => setMaxLength(e.target.value)}
          error={maxLengthError}
          hint="Rows over this length are reported; training would cut them."
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
      {refused.length > 0 && (
        <div role="alert" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          <p className="font-medium">{refused.length === 1 ? "This file was left out:" : "These files were left out:"}</p>
          <ul className="mt-1 list-disc pl-5">
            {refused.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
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
