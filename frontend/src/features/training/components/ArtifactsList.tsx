import { useState } from "react";
import { ErrorAlert } from "@/components/ui/Feedback";
import { formatBytes } from "@/lib/format";
import { Button } from "@/components/ui/Button";
import type { ArtifactRead } from "@/lib/api/types";
import { downloadResultArchive } from "../api/download-archive";
import { downloadJobFile } from "../api/download-artifact";
import { useArtifacts } from "../api/list-artifacts";

type Artifact = ArtifactRead;

/** checkpoints/checkpoint-N/... (or checkpoint-N/... of older runs): the checkpoint's folder, else null. */
export function checkpointOf(path: string): string | null {
  const match = /^(?:checkpoints\/)?(checkpoint-\d+)\//.exec(path);
  return match ? match[1]! : null;
}

/** The result files apart from the checkpoints, which are grouped by checkpoint folder (by step). */
export function groupArtifacts(artifacts: Artifact[]): { result: Artifact[]; checkpoints: [string, Artifact[]][] } {
  const result: Artifact[] = [];
  const checkpoints = new Map<string, Artifact[]>();
  for (const artifact of artifacts) {
    const folder = checkpointOf(artifact.path);
    if (folder === null) result.push(artifact);
    else checkpoints.set(folder, [...(checkpoints.get(folder) ?? []), artifact]);
  }
  const step = (name: string) => Number(name.split("-").pop());
  return { result, checkpoints: [...checkpoints.entries()].sort((a, b) => step(a[0]) - step(b[0])) };
}

function FileRows({ jobId, files, strip = "", onError }: { jobId: string; files: Artifact[]; strip?: string; onError: (e: unknown) => void }) {
  return (
    <ul className="divide-y divide-slate-100 text-sm">
      {files.map((artifact) => (
        <li key={artifact.path} className="flex min-w-0 items-center justify-between gap-3 py-1.5">
          <button
            type="button"
            className="min-w-0 truncate text-left text-indigo-700 hover:underline"
            aria-label={`Download ${artifact.path}`}
            title={artifact.path}
            onClick={() => downloadJobFile(jobId, artifact.path).catch(onError)}
          >
            {strip && artifact.path.startsWith(strip) ? artifact.path.slice(strip.length) : artifact.path}
          </button>
          <span className="shrink-0 text-xs text-slate-500">{formatBytes(artifact.size_bytes)}</span>
        </li>
      ))}
    </ul>
  );
}

/**
 * The job's files: the result (adapter or model, tokenizer, card, metrics) with a "Download all"
 * zip of it, and the checkpoints apart, collapsed, one group per checkpoint.
 */
export function ArtifactsList({ jobId }: { jobId: string }) {
  const artifacts = useArtifacts(jobId);
  const [error, setError] = useState<unknown>(null);
  const [zipping, setZipping] = useState(false);
  if (artifacts.error) return <ErrorAlert error={artifacts.error} />;
  if (!artifacts.data) return <p className="text-sm text-slate-600">Loading files…</p>;
  if (artifacts.data.length === 0) return <p className="text-sm text-slate-600">No files yet: they appear as checkpoints and the final adapter are saved.</p>;
  const { result, checkpoints } = groupArtifacts(artifacts.data);
  const resultBytes = result.reduce((sum, a) => sum + a.size_bytes, 0);
  function downloadAll() {
    setZipping(true);
    setError(null);
    downloadResultArchive(jobId)
      .catch(setError)
      .finally(() => setZipping(false));
  }
  return (
    <div className="min-w-0 space-y-3">
      {result.length > 0 && (
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="text-sm text-slate-700">
            Result: {result.length} {result.length === 1 ? "file" : "files"}, {formatBytes(resultBytes)}
          </p>
          <Button variant="secondary" pending={zipping} onClick={downloadAll}>
            Download all (.zip)
          </Button>
        </div>
      )}
      <FileRows jobId={jobId} files={result} onError={setError} />
      {checkpoints.length > 0 && (
        <details className="rounded-md border border-slate-200 p-2">
          <summary className="cursor-pointer text-sm font-medium text-slate-800">Checkpoints ({checkpoints.length})</summary>
          <p className="mt-1 text-xs text-slate-500">
            What Resume continues from: weights, optimizer and scheduler state. Not part of the result.
          </p>
          {checkpoints.map(([folder, files]) => (
            <div key={folder} className="mt-2">
              <h3 className="text-xs font-semibold text-slate-700">
                {folder.replace("checkpoint-", "Step ")} · {formatBytes(files.reduce((sum, a) => sum + a.size_bytes, 0))}
              </h3>
              <FileRows jobId={jobId} files={files} strip={files[0]!.path.slice(0, files[0]!.path.indexOf(folder) + folder.length + 1)} onError={setError} />
            </div>
          ))}
        </details>
      )}
      <ErrorAlert error={error} />
    </div>
  );
}
