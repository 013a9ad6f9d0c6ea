import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { formatNumber } from "@/lib/format";
import { useFillPlaceholders } from "../api/fill-placeholders";
import type { VersionFormProps } from "./version-form";

/** The template placeholders left in a version's text ({{name}} -> rows containing it), from its stats. */
export function placeholdersOf(version: VersionFormProps["version"]): Record<string, number> {
  const found = (version.stats as { placeholders?: Record<string, number> }).placeholders;
  return found && typeof found === "object" ? found : {};
}

/** Put a value in place of each template placeholder ({{name}}, {{author}}), as a new version. */
export function FillPlaceholdersForm({ teamId, version, onNewVersion }: VersionFormProps) {
  const found = placeholdersOf(version);
  const [values, setValues] = useState<Record<string, string>>({});
  const [clientError, setClientError] = useState<string | null>(null);
  const fill = useFillPlaceholders();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value.trim()));
    const problem = Object.keys(given).length ? null : "Give a value for at least one placeholder.";
    setClientError(problem);
    if (problem) return;
    fill.mutate(
      { teamId, datasetId: version.dataset_id, versionId: version.id, values: given },
      { onSuccess: onNewVersion },
    );
  }

  return (
    <form onSubmit={submit} className="space-y-3" noValidate>
      <h3 className="text-sm font-semibold text-slate-900">Fill placeholders</h3>
      <p className="text-sm text-slate-700">
        Some rows still contain template placeholders, which the model would learn word for word. Give each one the
        text to put in its place; placeholders left blank stay as they are.
      </p>
      <div className="grid gap-3 sm:grid-cols-2">
        {Object.entries(found).map(([name, rows]) => (
          <TextField
            key={name}
            label={`Value for {{${name}}}`}
            hint={`In ${formatNumber(rows)} ${rows === 1 ? "row" : "rows"}.`}
            maxLength={10000}
            value={values[name] ?? ""}
            onChange={(e) => setValues((all) => ({ ...all, [name]: e.target.value }))}
          />
        ))}
      </div>
      <ErrorAlert error={clientError ?? fill.error} />
      <Button type="submit" variant="secondary" pending={fill.isPending}>
        Fill placeholders
      </Button>
    </form>
  );
}
