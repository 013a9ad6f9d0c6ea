import { useState } from "react";
import { ErrorAlert } from "@/components/ui/Feedback";
import { formatBytes } from "@/lib/format";
import { downloadJobFile } from "../api/download-artifact";
import { useArtifacts } from "../api/list-artifacts";

export function ArtifactsList({ jobId }: { jobId: string }) {
  const artifacts = useArtifacts(jobId);
  const [error, setError] = useState<unknown>(null);
  if (artifacts.error) return <ErrorAlert error={artifacts.error} />;
  if (!artifacts.data) return <p className="text-sm text-slate-600">Loading files…</p>;
  if (artifacts.data.length === 0) return <p className="text-sm text-slate-600">No files yet: they appear as checkpoints and the final adapter are saved.</p>;
  return (
    <div className="space-y-2">
      <ul className="divide-y divide-slate-100 text-sm">
        {artifacts.data.map((artifact) => (
          <li key={artifact.path} className="flex items-center justify-between gap-3 py-1.5">
            <button
              type="button"
              className="truncate text-left text-indigo-700 hover:underline"
              aria-label={`Download ${artifact.path}`}
              onClick={() => downloadJobFile(jobId, artifact.path).catch(setError)}
            >
              {artifact.path}
            </button>
            <span className="shrink-0 text-xs text-slate-500">{formatBytes(artifact.size_bytes)}</span>
          </li>
        ))}
      </ul>
      <ErrorAlert error={error} />
    </div>
  );
}
