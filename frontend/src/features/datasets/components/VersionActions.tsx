import { Card } from "@/components/ui/Page";
import { DropInvalidForm } from "./DropInvalidForm";
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
  const canDrop = version.status !== "usable" && unsplit;
  const canSplit = version.status === "usable" && unsplit;
  const canRemap = fromFiles && columns > 0;
  // Markdown and text uploads can be read as chat transcripts with the speakers' labels.
  const canTranscript = fromFiles && version.sources.every((s) => /\.(md|markdown|txt)$/i.test(s.name));
  if (!canDrop && !canSplit && !canRemap && !canTranscript) return null;
  return (
    <Card title="Make a new version" description="This version stays as it is; the result is added to the history.">
      <div className="space-y-6 divide-y divide-slate-100 [&>*:not(:first-child)]:pt-6">
        {canRemap && <MappingEditor key={version.id} teamId={teamId} version={version} onNewVersion={onNewVersion} />}
        {canTranscript && <TranscriptForm key={version.id} teamId={teamId} version={version} onNewVersion={onNewVersion} />}
        {canDrop && <DropInvalidForm teamId={teamId} version={version} onNewVersion={onNewVersion} />}
        {canSplit && <SplitForm teamId={teamId} version={version} onNewVersion={onNewVersion} />}
      </div>
    </Card>
  );
}
