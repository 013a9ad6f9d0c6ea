import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { Checkbox } from "@/components/ui/Checkbox";
import { ErrorAlert } from "@/components/ui/Feedback";
import { RadioCard } from "@/components/ui/RadioCard";
import { SelectField } from "@/components/ui/SelectField";
import { TextField } from "@/components/ui/TextField";
import type { ProviderInfo } from "@/lib/api/types";
import { fieldRule } from "@/lib/api/field-rules";
import { FIELD_GROUPS, choicesFor, fieldApplies, type FieldDef, type WizardForm } from "../../lib/wizard-form";

const NAME_MAX_LENGTH = fieldRule("JobCreate", "name").maxLength;

const PRESET_HELP: Record<string, string> = {
  quick: "A short run to check everything works (minutes).",
  balanced: "One pass over the data with sensible defaults.",
  quality: "Three passes with a larger effective batch; slower, usually better.",
};

function describePreset(values: Record<string, unknown> | undefined): string {
  if (!values) return "";
  return Object.entries(values)
    .map(([k, v]) => `${k.replace(/_/g, " ")} ${String(v)}`)
    .join(", ");
}

export function SettingsStep({
  form,
  update,
  presets,
  providers,
  errors,
  serverError,
}: {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
  presets: Record<string, unknown>;
  providers: ProviderInfo[];
  errors: Record<string, string>;
  serverError: unknown;
}) {
  const [advanced, setAdvanced] = useState(() => Object.keys(form.options).length > 0);
  const setOption = (key: string, value: string | boolean) => update({ options: { ...form.options, [key]: value } });
  return (
    <div className="space-y-6">
      <TextField
        label="Job name (optional)"
        value={form.name}
        maxLength={NAME_MAX_LENGTH}
        onChange={(e) => update({ name: e.target.value })}
        hint="Default: method, adapter, model and dataset."
      />
      <fieldset>
        <legend className="mb-2 text-sm font-semibold text-slate-900">Preset</legend>
        <div className="grid gap-2 md:grid-cols-2">
          {[...Object.keys(presets), ""].map((name) => (
            <RadioCard
              key={name || "custom"}
              name="preset"
              value={name}
              checked={form.preset === name}
              onChange={(preset) => update({ preset: preset as WizardForm["preset"] })}
              title={name ? name[0]!.toUpperCase() + name.slice(1) : "No preset"}
              description={
                name ? (
                  <>
                    {PRESET_HELP[name]} <span className="text-xs text-slate-600">({describePreset(presets[name] as Record<string, unknown>)})</span>
                  </>
                ) : (
                  "Only the library defaults and what you set under Advanced."
                )
              }
            />
          ))}
        </div>
        <p className="mt-1 text-xs text-slate-500">Advanced values override the preset.</p>
      </fieldset>
      <SelectField
        label="Training library"
        value={form.provider}
        onChange={(e) => update({ provider: e.target.value })}
        hint="auto picks Unsloth when it can run (an NVIDIA GPU), else Hugging Face transformers + TRL."
        options={providers.map((p) => ({
          value: p.name,
          label:
            p.name === "auto"
              ? `auto${p.resolves_to ? ` (here: ${p.resolves_to})` : ""}`
              : `${p.name}${p.available === false ? ` — unavailable: ${p.reason ?? ""}` : ""}`,
          disabled: p.available === false,
        }))}
        className="max-w-xl"
      />
      <ErrorAlert error={serverError} />
      <div>
        <Button variant="secondary" aria-expanded={advanced} aria-controls="advanced-settings" onClick={() => setAdvanced((a) => !a)}>
          {advanced ? "Hide advanced settings" : "Advanced settings"}
        </Button>
      </div>
      {advanced && (
        <div id="advanced-settings" className="space-y-6">
          {FIELD_GROUPS.map((group) => {
            const fields = group.fields.filter((f) => fieldApplies(f, form.method, form.adapter));
            if (fields.length === 0) return null;
            return (
              <fieldset key={group.id} className="rounded-lg border border-slate-200 p-4">
                <legend className="px-1 text-sm font-semibold text-slate-900">{group.title}</legend>
                <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
                  {fields.map((field) => (
                    <OptionField
                      key={field.key}
                      field={field}
                      method={form.method}
                      value={form.options[field.key]}
                      error={errors[field.key]}
                      onChange={(value) => setOption(field.key, value)}
                    />
                  ))}
                </div>
              </fieldset>
            );
          })}
          {form.method === "grpo" && <RewardsEditor form={form} update={update} />}
        </div>
      )}
    </div>
  );
}

function OptionField({
  field,
  method,
  value,
  error,
  onChange,
}: {
  field: FieldDef;
  method: string;
  value: string | boolean | undefined;
  error?: string;
  onChange: (value: string | boolean) => void;
}) {
  if (field.kind === "bool") {
    // Unset booleans show the server's default (from the API schema).
    return <Checkbox label={field.label} hint={field.hint} checked={value === undefined ? field.default === true : Boolean(value)} onChange={onChange} />;
  }
  if (field.kind === "select") {
    const chosen = typeof value === "string" ? value : "";
    // With per-choice explanations, the hint explains the chosen one (empty: the default).
    const explained = field.choiceHints?.[chosen || String(field.default ?? "")];
    return (
      <SelectField
        label={field.label}
        hint={explained ?? field.hint}
        value={chosen}
        onChange={(e) => onChange(e.target.value)}
        options={[
          { value: "", label: "Default" },
          ...choicesFor(field, method).map((c) => ({ value: c, label: c })),
        ]}
      />
    );
  }
  const range =
    field.min !== undefined || field.max !== undefined
      ? `${field.min !== undefined ? `${field.exclusiveMin ? ">" : "≥"} ${field.min}` : ""}${field.min !== undefined && field.max !== undefined ? ", " : ""}${field.max !== undefined ? `${field.exclusiveMax ? "<" : "≤"} ${field.max}` : ""}`
      : "";
  return (
    <TextField
      label={field.label}
      inputMode={field.kind === "text" ? "text" : "decimal"}
      value={typeof value === "string" ? value : ""}
      placeholder="default"
      onChange={(e) => onChange(e.target.value)}
      hint={[field.hint, range].filter(Boolean).join(" ") || undefined}
      error={error}
    />
  );
}

function RewardsEditor({ form, update }: { form: WizardForm; update: (patch: Partial<WizardForm>) => void }) {
  const set = (i: number, patch: Partial<WizardForm["rewards"][number]>) =>
    update({ rewards: form.rewards.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  return (
    <fieldset className="space-y-3 rounded-lg border border-slate-200 p-4">
      <legend className="px-1 text-sm font-semibold text-slate-900">GRPO rewards</legend>
      {form.rewards.map((reward, i) => (
        <div key={i} className="grid items-end gap-2 sm:grid-cols-4">
          <SelectField
            label={`Reward ${i + 1}`}
            value={reward.kind}
            onChange={(e) => set(i, { kind: e.target.value })}
            options={[
              { value: "exact_match", label: "exact match with the reference" },
              { value: "regex", label: "matches a pattern" },
              { value: "length", label: "close to a target length" },
              { value: "json", label: "valid JSON" },
            ]}
          />
          <TextField label={`Reward ${i + 1} weight`} inputMode="decimal" value={reward.weight} onChange={(e) => set(i, { weight: e.target.value })} />
          {reward.kind === "regex" && (
            <TextField label={`Reward ${i + 1} pattern`} value={reward.pattern} onChange={(e) => set(i, { pattern: e.target.value })} />
          )}
          {reward.kind === "length" && (
            <TextField
              label={`Reward ${i + 1} target length`}
              inputMode="numeric"
              value={reward.target_length}
              onChange={(e) => set(i, { target_length: e.target.value })}
            />
          )}
          {form.rewards.length > 1 && (
            <Button variant="secondary" onClick={() => update({ rewards: form.rewards.filter((_, j) => j !== i) })}>
              Remove reward {i + 1}
            </Button>
          )}
        </div>
      ))}
      <Button
        variant="secondary"
        onClick={() => update({ rewards: [...form.rewards, { kind: "length", weight: "1", pattern: "", target_length: "" }] })}
      >
        Add a reward
      </Button>
    </fieldset>
  );
}
