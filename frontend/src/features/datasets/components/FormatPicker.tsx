import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import type { UploadResult, VersionRead } from "@/lib/api/types";
import { useChangeMapping } from "../api/change-mapping";

type Candidate = { kind: string; format: string; columns: Record<string, string>; title: string };
type Detection = { title?: string; candidates?: Candidate[]; ambiguous?: boolean; message?: string };

/** When the files could be read in several ways, lets the user pick another reading. */
export function FormatPicker({
  teamId,
  version,
  onNewVersion,
}: {
  teamId: string;
  version: VersionRead;
  onNewVersion: (result: UploadResult) => void;
}) {
  const detection = version.detection as Detection;
  const candidates = detection.candidates ?? [];
  const current = (version.mapping as { format?: string } | null)?.format;
  const [choice, setChoice] = useState(() => Math.max(0, candidates.findIndex((c) => c.format === current)));
  const changeMapping = useChangeMapping();
  if (candidates.length < 2) return null;

  const picked = candidates[choice];
  return (
    <div className="space-y-3">
      <h3 className="text-sm font-semibold text-slate-900">Read the files differently</h3>
      {detection.ambiguous && (
        <p className="text-sm text-amber-800">{detection.message || "The format was a guess: check it."}</p>
      )}
      <div className="flex flex-wrap items-end gap-3">
        <div className="space-y-1">
          <label htmlFor={`format-${version.id}`} className="block text-sm font-medium text-slate-800">
            Format
          </label>
          <select
            id={`format-${version.id}`}
            value={choice}
            onChange={(e) => setChoice(Number(e.target.value))}
            className="rounded-md border-0 bg-white py-2 pl-2 pr-8 text-sm ring-1 ring-inset ring-slate-300"
          >
            {candidates.map((candidate, index) => (
              <option key={`${candidate.format}-${index}`} value={index}>
                {candidate.title}
              </option>
            ))}
          </select>
        </div>
        <Button
          variant="secondary"
          disabled={picked?.format === current}
          pending={changeMapping.isPending}
          onClick={() =>
            picked &&
            changeMapping.mutate(
              { teamId, datasetId: version.dataset_id, versionId: version.id, format: picked.format, columns: picked.columns },
              { onSuccess: onNewVersion },
            )
          }
        >
          Re-read with this format
        </Button>
      </div>
      <ErrorAlert error={changeMapping.error} />
    </div>
  );
}
