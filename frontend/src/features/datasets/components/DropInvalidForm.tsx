import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { formatNumber } from "@/lib/format";
import { useDropInvalid } from "../api/drop-invalid";
import type { VersionFormProps } from "./version-form";

export function DropInvalidForm({
  teamId,
  version,
  onNewVersion,
}: VersionFormProps) {
  const [dropDuplicates, setDropDuplicates] = useState(false);
  const [dropOverLength, setDropOverLength] = useState(false);
  const dropInvalid = useDropInvalid();
  const errors = (version.stats as { rows_with_errors?: number }).rows_with_errors ?? 0;
  return (
    <div className="space-y-3">
      <h3 className="text-sm font-semibold text-slate-900">Drop invalid rows</h3>
      <p className="text-sm text-slate-700">
        A new version without the {formatNumber(errors)} rows that have errors. This version stays as it is.
      </p>
      <div className="flex flex-wrap gap-4 text-sm">
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={dropDuplicates} onChange={(e) => setDropDuplicates(e.target.checked)} />
          Also drop duplicate rows
        </label>
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={dropOverLength} onChange={(e) => setDropOverLength(e.target.checked)} />
          Also drop rows over the length limit
        </label>
      </div>
      <ErrorAlert error={dropInvalid.error} />
      <Button
        variant="secondary"
        pending={dropInvalid.isPending}
        onClick={() =>
          dropInvalid.mutate(
            { teamId, datasetId: version.dataset_id, versionId: version.id, dropDuplicates, dropOverLength },
            { onSuccess: onNewVersion },
          )
        }
      >
        Drop invalid rows
      </Button>
    </div>
  );
}
