import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import type { UploadResult, VersionRead } from "@/lib/api/types";
import { formatBytes, formatNumber } from "@/lib/format";
import { useDropInvalid } from "../api/drop-invalid";
import { LengthHistogram, type Histogram } from "./LengthHistogram";
import { StatusBadge } from "./StatusBadge";

type Stats = {
  rows?: number;
  valid_rows?: number;
  rows_with_errors?: number;
  rows_with_warnings?: number;
  duplicates?: number;
  length?: Histogram & { unit: string; mean: number; p95: number; max: number; over_limit: number; max_length: number };
};

export function VersionSummary({
  teamId,
  version,
  onNewVersion,
}: {
  teamId: string;
  version: VersionRead;
  onNewVersion: (result: UploadResult) => void;
}) {
  const stats = version.stats as Stats;
  const detection = version.detection as { title?: string; message?: string; ambiguous?: boolean };
  const summary = version.issues_summary as { errors?: number; warnings?: number; infos?: number };
  const [dropDuplicates, setDropDuplicates] = useState(false);
  const [dropOverLength, setDropOverLength] = useState(false);
  const dropInvalid = useDropInvalid();
  const unsplit = version.splits.length <= 1;

  const facts: Array<[string, string]> = [
    ["Format", detection.title ?? version.kind ?? "—"],
    ["Rows", formatNumber(version.rows)],
    ["Valid rows", formatNumber(stats.valid_rows ?? 0)],
    ["Errors", formatNumber(summary.errors ?? 0)],
    ["Warnings", formatNumber(summary.warnings ?? 0)],
    ["Duplicates", formatNumber(stats.duplicates ?? 0)],
    ["Size", formatBytes(version.size_bytes)],
  ];
  if (stats.length) {
    facts.push([
      `Length (${stats.length.unit})`,
      `mean ${formatNumber(Math.round(stats.length.mean))}, p95 ${formatNumber(stats.length.p95)}, max ${formatNumber(stats.length.max)}`,
    ]);
  }

  return (
    <Card
      title={`Version ${version.number}`}
      description={
        <span className="flex flex-wrap items-center gap-2">
          <StatusBadge status={version.status} />
          {version.status === "usable"
            ? "No errors: this version can be used for training."
            : "Rows with errors are kept but this version is refused for training until they are dropped or fixed."}
        </span>
      }
    >
      <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm sm:grid-cols-4">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt className="text-slate-500">{label}</dt>
            <dd className="font-medium text-slate-900">{value}</dd>
          </div>
        ))}
      </dl>
      {detection.message && <p className="mt-3 text-sm text-amber-800">{detection.message}</p>}
      {version.sources.length > 0 && (
        <p className="mt-3 text-xs text-slate-500">
          From {version.sources.map((source) => `${source.name} (${formatBytes(source.size)})`).join(", ")} · sha256{" "}
          <span className="font-mono">{version.sha256.slice(0, 12)}</span>
        </p>
      )}
      {stats.length && stats.length.histogram.length > 0 && <LengthHistogram histogram={stats.length} />}
      {version.status !== "usable" && unsplit && (
        <div className="mt-4 space-y-3 rounded-lg bg-slate-50 p-4">
          <p className="text-sm text-slate-700">
            Make a new version without the {formatNumber(stats.rows_with_errors ?? 0)} rows that have errors. This
            version stays as it is.
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
      )}
    </Card>
  );
}
