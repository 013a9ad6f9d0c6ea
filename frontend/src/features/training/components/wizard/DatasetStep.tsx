import { Link } from "react-router";
import { Button } from "@/components/ui/Button";
import { RadioCard } from "@/components/ui/RadioCard";
import { SelectField } from "@/components/ui/SelectField";
import { TextField } from "@/components/ui/TextField";
import { formatNumber } from "@/lib/format";
import type { DatasetRead, VersionRead } from "@/lib/api/types";
import { datasetDisabledReason, describeDataKind, type DataKindLabels, type MethodInfo } from "../../lib/compat";
import type { WizardForm } from "../../lib/wizard-form";

export type VersionChoice = { dataset: DatasetRead; version: VersionRead };

export function versionLabel({ dataset, version }: VersionChoice) {
  return `${dataset.name} · v${version.number}`;
}

function describeVersion(version: VersionRead, kindLabels: DataKindLabels): string {
  const kind = version.kind;
  const split = version.split as { counts?: Record<string, number> } | null;
  const splitText = split?.counts
    ? Object.entries(split.counts)
        .map(([name, n]) => `${name} ${formatNumber(n)}`)
        .join(" / ")
    : "not split (a validation share is held out at training time)";
  return `${kind ? describeDataKind(kind, kindLabels) : "unknown format"} · ${formatNumber(version.rows)} rows · ${splitText}`;
}

export function DatasetStep({
  form,
  update,
  method,
  kindLabels,
  choices,
  errors,
}: {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
  method: MethodInfo | undefined;
  /** Data kind → label, from /api/info. */
  kindLabels: DataKindLabels;
  choices: VersionChoice[];
  errors: Record<string, string>;
}) {
  const usable = choices.filter((c) => c.version.status === "usable");
  const compatible = usable.filter((c) => !datasetDisabledReason(method, c.version.kind, kindLabels));
  if (choices.length === 0) {
    return (
      <p className="text-sm text-slate-700">
        Your team has no datasets yet. <Link to="/datasets" className="text-indigo-700 underline">Upload one</Link>, then
        come back.
      </p>
    );
  }
  function setMixture(index: number, patch: Partial<WizardForm["mixture"][number]>) {
    update({ mixture: form.mixture.map((row, i) => (i === index ? { ...row, ...patch } : row)) });
  }
  return (
    <div className="space-y-6">
      <fieldset>
        <legend className="mb-2 text-sm font-semibold text-slate-900">Dataset version</legend>
        <div className="grid gap-2 md:grid-cols-2">
          {choices.map((choice) => (
            <RadioCard
              key={choice.version.id}
              name="dataset-version"
              value={choice.version.id}
              checked={form.dataset_version_id === choice.version.id}
              onChange={(dataset_version_id) => update({ dataset_version_id })}
              title={versionLabel(choice)}
              description={describeVersion(choice.version, kindLabels)}
              disabledReason={
                choice.version.status !== "usable"
                  ? "It has rows with errors; drop them on the Datasets page first."
                  : datasetDisabledReason(method, choice.version.kind, kindLabels)
              }
            />
          ))}
        </div>
        {compatible.length === 0 && (
          <p className="mt-2 text-sm text-amber-800">
            None of your datasets fits {method?.name.toUpperCase() ?? "this method"}: go back and pick another method, or
            upload a dataset of the right shape.
          </p>
        )}
      </fieldset>
      <fieldset className="space-y-3">
        <legend className="text-sm font-semibold text-slate-900">Mixture (optional)</legend>
        <p className="text-xs text-slate-500">
          Mix in other compatible versions; weights are relative shares (the main dataset has weight 1).
        </p>
        {form.mixture.map((row, i) => (
          <div key={i} className="grid items-end gap-2 sm:grid-cols-[1fr_8rem_auto]">
            <SelectField
              label={`Mixture dataset ${i + 1}`}
              value={row.dataset_version_id}
              error={errors[`mixture.${i}.dataset`]}
              onChange={(e) => setMixture(i, { dataset_version_id: e.target.value })}
              options={[
                { value: "", label: "Choose a version" },
                ...compatible
                  .filter((c) => c.version.id !== form.dataset_version_id)
                  .map((c) => ({ value: c.version.id, label: versionLabel(c) })),
              ]}
            />
            <TextField
              label={`Weight ${i + 1}`}
              inputMode="decimal"
              value={row.weight}
              error={errors[`mixture.${i}.weight`]}
              onChange={(e) => setMixture(i, { weight: e.target.value })}
            />
            <Button variant="secondary" onClick={() => update({ mixture: form.mixture.filter((_, j) => j !== i) })}>
              Remove
            </Button>
          </div>
        ))}
        {form.mixture.length < 8 && (
          <Button
            variant="secondary"
            onClick={() => update({ mixture: [...form.mixture, { dataset_version_id: "", weight: "0.5" }] })}
            disabled={compatible.length < 2}
          >
            Add a dataset to the mix
          </Button>
        )}
      </fieldset>
    </div>
  );
}
