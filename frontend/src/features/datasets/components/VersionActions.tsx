import { Card } from "@/components/ui/Page";
import { DropInvalidForm } from "./DropInvalidForm";
import { FillPlaceholdersForm, placeholdersOf } from "./FillPlaceholdersForm";
import { MappingEditor } from "./MappingEditor";
import { SplitForm } from "./SplitForm";
import { TranscriptForm } from "./TranscriptForm";
import type { VersionFormProps } from "./version-form";

/** Ways to derive a new version from this one; what is offered depends on the version's state. */
export function VersionActions({
  teamId,
  version,
  onNewVersion,
}: VersionFormProps) {
  const unsplit = version.splits.length <= 1;
  const fromFiles = version.operation === "upload" || version.operation === "mapping";
  // Column-based files (not documents or transcripts) can be re-read with another column mapping.
  const columns = ((version.detection as { columns?: unknown[] }).columns ?? []).length;
  // Dropping needs rows with errors to drop; an unrecognised format has none yet (map the columns first).
  const rowsWithErrors = (version.stats as { rows_with_errors?: number }).rows_with_errors ?? 0;
  const canDrop = version.status !== "usable" && unsplit && version.kind != null && rowsWithErrors > 0;
  const canFill = unsplit && version.kind != null && Object.keys(placeholdersOf(version)).length > 0;
  const canSplit = version.status === "usable" && unsplit;
  const canRemap = fromFiles && columns > 0;
  // Markdown and text uploads can be read as chat transcripts with the speakers' labels.
  const canTranscript = fromFiles && version.sources.every((s) => /\.(md|markdown|txt)$/i.test(s.name));
  if (!canDrop && !canSplit && !canRemap && !canTranscript && !canFill) return null;
  return (
    <Card title="Make a new version" description="This version stays as it is; the result is added to the history.">
      <div className="space-y-6 divide-y divide-slate-100 [&>*:not(:first-child)]:pt-6">
        {canRemap && <MappingEditor key={version.id} teamId={teamId} version={version} onNewVersion={onNewVersion} />}
        {canTranscript && <TranscriptForm key={version.id} teamId={teamId} version={version} onNewVersion={onNewVersion} />}
        {canFill && <FillPlaceholdersForm key={`fill-${version.id}`} teamId={teamId} version={version} onNewVersion={onNewVersion} />}
        {canDrop && <DropInvalidForm teamId={teamId} version={version} onNewVersion={onNewVersion} />}
        {canSplit && <SplitForm teamId={teamId} version={version} onNewVersion={onNewVersion} />}
      </div>
    </Card>
  );
}
