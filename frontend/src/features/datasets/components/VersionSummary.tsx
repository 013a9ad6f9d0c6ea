import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import type { VersionRead } from "@/lib/api/types";
import { formatBytes, formatNumber } from "@/lib/format";
import { useDownloadVersion } from "../api/download-version";
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
  datasetName,
  version,
}: {
  teamId: string;
  datasetName: string;
  version: VersionRead;
}) {
  const stats = version.stats as Stats;
  const detection = version.detection as { title?: string; message?: string; ambiguous?: boolean };
  const summary = version.issues_summary as { errors?: number; warnings?: number; infos?: number };
  const download = useDownloadVersion();

  const facts: Array<[string, string]> = [
    ["Format", detection.title ?? version.kind ?? "—"],
    ["Rows", formatNumber(version.rows)],
    ["Valid rows", formatNumber(stats.valid_rows ?? 0)],
    ["Errors", formatNumber(summary.errors ?? 0)],
    ["Warnings", formatNumber(summary.warnings ?? 0)],
    ["Duplicates", formatNumber(stats.duplicates ?? 0)],
    ["Size", formatBytes(version.size_bytes)],
  ];
  const split = version.split as { counts?: Record<string, number>; seed?: number } | null;
  if (split?.counts) {
    facts.push([
      "Splits",
      Object.entries(split.counts)
        .map(([name, rows]) => `${name} ${formatNumber(rows)}`)
        .join(", ") + (split.seed !== undefined ? ` (seed ${split.seed})` : ""),
    ]);
  }
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
      <div className="mt-4">
        <Button
          variant="secondary"
          pending={download.isPending}
          onClick={() =>
            download.mutate({
              teamId,
              datasetId: version.dataset_id,
              versionId: version.id,
              filename: `${datasetName}-v${version.number}.jsonl`,
            })
          }
        >
          Download JSONL
        </Button>
        <ErrorAlert error={download.error} className="mt-2" />
      </div>
    </Card>
  );
}
