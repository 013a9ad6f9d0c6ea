import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { SelectField } from "@/components/ui/SelectField";
import type { FormatRead } from "@/lib/api/types";
import { useChangeMapping } from "../api/change-mapping";
import { useFormats } from "../api/list-formats";
import type { VersionFormProps } from "./version-form";

type Candidate = { format: string; columns: Record<string, string>; title: string };
type Detection = { candidates?: Candidate[]; columns?: string[]; ambiguous?: boolean; message?: string };
type Mapping = { format?: string; columns?: Record<string, string> } | null;

const NONE = "";

function sameColumns(a: Record<string, string>, b: Record<string, string>): boolean {
  const entries = (m: Record<string, string>) => Object.entries(m).filter(([, column]) => column).sort().join("|");
  return entries(a) === entries(b);
}

/** The columns a format's slots would read: the candidate's or current mapping's, else the usual names. */
function defaultColumns(format: FormatRead, columns: string[], known: Record<string, string> | undefined) {
  const byLower = new Map(columns.map((c) => [c.toLowerCase(), c]));
  const slots = { ...format.required, ...format.optional };
  return Object.fromEntries(
    Object.entries(slots).map(([slot, names]) => [
      slot,
      known?.[slot] ?? names.map((n) => byLower.get(n)).find(Boolean) ?? NONE,
    ]),
  );
}

/** Re-read the uploaded files with another format and another column for each of its slots. */
export function MappingEditor({
  teamId,
  version,
  onNewVersion,
}: VersionFormProps) {
  const detection = version.detection as Detection;
  const columns = detection.columns ?? [];
  const candidates = detection.candidates ?? [];
  const mapping = version.mapping as Mapping;
  const formats = useFormats();
  const changeMapping = useChangeMapping();
  const [formatName, setFormatName] = useState(mapping?.format ?? candidates[0]?.format ?? "prompt_completion");
  const [chosen, setChosen] = useState<Record<string, Record<string, string>>>({});
  const format = formats.data?.find((f) => f.name === formatName);
  if (formats.error) return <ErrorAlert error={formats.error} />;
  if (!format) return null;

  const known = formatName === mapping?.format ? mapping.columns : candidates.find((c) => c.format === formatName)?.columns;
  const slots = { ...defaultColumns(format, columns, known), ...chosen[formatName] };
  const missing = Object.keys(format.required).filter((slot) => !slots[slot]);
  const picked = Object.fromEntries(Object.entries(slots).filter(([, column]) => column));
  const used = Object.values(picked);
  const repeated = used.find((column, i) => used.indexOf(column) !== i);
  const unchanged = formatName === mapping?.format && sameColumns(picked, mapping.columns ?? {});
  const blocker = missing.length
    ? `Choose a column for ${missing.join(" and ")}.`
    : repeated
      ? `“${repeated}” is chosen twice; each slot needs its own column.`
      : unchanged
        ? "This is how the version is read now."
        : null;
  const candidateFormats = new Set(candidates.map((c) => c.format));
  const setSlot = (slot: string, column: string) =>
    setChosen((all) => ({ ...all, [formatName]: { ...all[formatName], [slot]: column } }));

  return (
    <div className="space-y-3">
      <h3 className="text-sm font-semibold text-slate-900">Read the files differently</h3>
      {detection.message && <p className="text-sm text-amber-800">{detection.message}</p>}
      <p className="text-sm text-slate-600">The files have the columns {columns.join(", ")}.</p>
      <SelectField
        label="Format"
        value={formatName}
        onChange={(e) => setFormatName(e.target.value)}
        options={(formats.data ?? []).map((f) => ({
          value: f.name,
          label: candidateFormats.has(f.name) ? `${f.title} — fits these columns` : f.title,
        }))}
        className="max-w-md"
      />
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {Object.keys({ ...format.required, ...format.optional }).map((slot) => {
          const required = slot in format.required;
          return (
            <SelectField
              key={`${formatName}-${slot}`}
              label={required ? `Column for ${slot}` : `Column for ${slot} (optional)`}
              value={slots[slot] ?? NONE}
              onChange={(e) => setSlot(slot, e.target.value)}
              options={[
                { value: NONE, label: required ? "— choose a column —" : "— none —" },
                ...columns.map((c) => ({ value: c, label: c })),
              ]}
            />
          );
        })}
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <Button
          variant="secondary"
          disabled={Boolean(blocker)}
          pending={changeMapping.isPending}
          onClick={() =>
            changeMapping.mutate(
              { teamId, datasetId: version.dataset_id, versionId: version.id, format: formatName, columns: picked },
              { onSuccess: onNewVersion },
            )
          }
        >
          Re-read with this mapping
        </Button>
        {blocker && <p className="text-sm text-slate-600">{blocker}</p>}
      </div>
      <ErrorAlert error={changeMapping.error} />
    </div>
  );
}
