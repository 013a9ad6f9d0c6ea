import { useState } from "react";
import { useNavigate } from "react-router";
import { Button } from "@/components/ui/Button";
import { SelectField } from "@/components/ui/SelectField";
import { TextField } from "@/components/ui/TextField";
import { fieldRule, numberRange } from "@/lib/api/field-rules";
import { useDatasets } from "@/lib/api/list-datasets";
import { useVersionsOf } from "@/lib/api/list-versions";
import type { ModelVersionSummary, PlaygroundTarget } from "@/lib/api/types";
import { useCreateBatch } from "../api/create-batch";
import { decodeTarget, encodeTarget, PROMPT_KINDS } from "../lib/batch";
import { ApiProblem } from "./ApiProblem";
import { versionName } from "./SidesPicker";

const MAX_TARGETS = 4;
const ROWS = numberRange(fieldRule("BatchCreate", "max_rows"));
const TOKENS = numberRange(fieldRule("GenerationParams", "max_new_tokens"));

function wholeNumber(value: string, range: { min?: number; max?: number }): string | null {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n)) return "Enter a whole number.";
  if (range.min !== undefined && n < range.min) return `Must be at least ${range.min}.`;
  if (range.max !== undefined && n > range.max) return `Must be at most ${range.max}.`;
  return null;
}

/** A new comparison: a dataset version's prompts, answered by 2–4 models (versions or their base models). */
export function BatchForm({
  teamId,
  versions,
  initialTargets,
}: {
  teamId: string;
  versions: ModelVersionSummary[];
  initialTargets: PlaygroundTarget[];
}) {
  const navigate = useNavigate();
  const datasets = useDatasets(teamId);
  const active = (datasets.data ?? []).filter((d) => !d.archived);
  const versionQueries = useVersionsOf(teamId, active.map((d) => d.id));
  const choices = active.flatMap((dataset, i) =>
    (versionQueries[i]?.data ?? [])
      .filter((v) => v.status === "usable" && v.kind && PROMPT_KINDS.includes(v.kind))
      .map((version) => ({ dataset, version })),
  );
  const [datasetVersion, setDatasetVersion] = useState("");
  const [targets, setTargets] = useState<string[]>(() => {
    const start = initialTargets.slice(0, MAX_TARGETS).map(encodeTarget);
    if (start.length === 0 && versions[0]) start.push(encodeTarget({ version_id: versions[0].id, base: false }));
    if (start.length === 1) start.push(`base:${decodeTarget(start[0]!)!.version_id}`);
    return start;
  });
  const [rows, setRows] = useState(String(fieldRule("BatchCreate", "max_rows").default ?? 20));
  const [tokens, setTokens] = useState("128");
  const create = useCreateBatch(teamId);

  const chosenVersion = datasetVersion || choices[0]?.version.id || "";
  const targetOptions = [
    { value: "", label: "Choose a model" },
    ...versions.flatMap((v) => [
      { value: encodeTarget({ version_id: v.id, base: false }), label: versionName(v) },
      { value: encodeTarget({ version_id: v.id, base: true }), label: `Base of ${v.model_name} v${v.number} (${v.base_model})` },
    ]),
  ];
  const errors = {
    rows: wholeNumber(rows, ROWS),
    tokens: wholeNumber(tokens, TOKENS),
    targets: targets.some((t) => !t)
      ? "Choose a model for each row, or remove it."
      : new Set(targets).size !== targets.length
        ? "Each model may be compared once; remove the repeated one."
        : null,
    dataset: chosenVersion ? null : "Choose a dataset version with prompts.",
  };
  const blocked = Object.values(errors).some(Boolean);

  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        if (blocked) return;
        create.mutate(
          {
            dataset_version_id: chosenVersion,
            targets: targets.map((t) => decodeTarget(t)!),
            max_rows: Number(rows),
            params: { max_new_tokens: Number(tokens), temperature: 0, top_p: 1 },
          },
          { onSuccess: (batch) => navigate(`/playground/batch/${batch.id}`) },
        );
      }}
    >
      <SelectField
        label="Dataset version"
        hint="Its prompts are answered by each model and scored against its reference answers."
        value={chosenVersion}
        error={datasets.isSuccess ? errors.dataset : null}
        onChange={(e) => setDatasetVersion(e.target.value)}
        options={
          choices.length
            ? choices.map(({ dataset, version }) => ({
                value: version.id,
                label: `${dataset.name} · v${version.number} (${version.rows} rows)`,
              }))
            : [{ value: "", label: datasets.isPending ? "Loading…" : "No dataset with prompts yet" }]
        }
      />
      <fieldset className="space-y-2">
        <legend className="text-sm font-semibold text-slate-900">Models (2 to 4)</legend>
        {targets.map((value, i) => (
          <div key={i} className="grid items-end gap-2 sm:grid-cols-[1fr_auto]">
            <SelectField
              label={`Model ${i + 1}`}
              value={value}
              onChange={(e) => setTargets((ts) => ts.map((t, j) => (j === i ? e.target.value : t)))}
              options={targetOptions}
            />
            {targets.length > 2 && (
              <Button variant="secondary" onClick={() => setTargets((ts) => ts.filter((_, j) => j !== i))}>
                Remove<span className="sr-only"> model {i + 1}</span>
              </Button>
            )}
          </div>
        ))}
        {targets.length < MAX_TARGETS && (
          <Button variant="secondary" onClick={() => setTargets((ts) => [...ts, ""])}>
            Add a model
          </Button>
        )}
        {errors.targets && <p className="text-xs text-red-700">{errors.targets}</p>}
      </fieldset>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label="Number of rows"
          hint={`The first rows of the dataset version (${ROWS.min ?? 1}–${ROWS.max ?? 200}).`}
          inputMode="numeric"
          value={rows}
          error={errors.rows}
          onChange={(e) => setRows(e.target.value)}
        />
        <TextField
          label="Max new tokens"
          hint="Per answer; greedy decoding, so runs are repeatable."
          inputMode="numeric"
          value={tokens}
          error={errors.tokens}
          onChange={(e) => setTokens(e.target.value)}
        />
      </div>
      <Button type="submit" pending={create.isPending} disabled={blocked}>
        Compare
      </Button>
      <ApiProblem error={create.error} />
    </form>
  );
}
