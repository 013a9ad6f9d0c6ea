import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { useSplitVersion } from "../api/split-version";
import type { VersionFormProps } from "./version-form";

export function SplitForm({
  teamId,
  version,
  onNewVersion,
}: VersionFormProps) {
  const [train, setTrain] = useState("80");
  const [validation, setValidation] = useState("10");
  const [test, setTest] = useState("10");
  const [seed, setSeed] = useState("42");
  const [clientError, setClientError] = useState<string | null>(null);
  const split = useSplitVersion();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parts = [train, validation, test].map(Number);
    const total = parts.reduce((sum, part) => sum + part, 0);
    const problem = parts.some((part) => !Number.isFinite(part) || part < 0)
      ? "Percentages must be numbers of 0 or more."
      : Math.abs(total - 100) > 1e-6
        ? `The percentages add up to ${total}%; make them add up to 100%.`
        : !(Number(train) > 0)
          ? "The train split needs some rows."
          : !Number.isInteger(Number(seed)) || Number(seed) < 0
            ? "The seed must be a whole number of 0 or more."
            : null;
    setClientError(problem);
    if (problem) return;
    split.mutate(
      {
        teamId,
        datasetId: version.dataset_id,
        versionId: version.id,
        train: parts[0] / 100,
        validation: parts[1] / 100,
        test: parts[2] / 100,
        seed: Number(seed),
      },
      { onSuccess: onNewVersion },
    );
  }

  return (
    <form onSubmit={submit} className="space-y-3" noValidate>
      <h3 className="text-sm font-semibold text-slate-900">Split for evaluation</h3>
      <p className="text-sm text-slate-700">
        A new version with train, validation and test splits. The same seed always gives the same split.
      </p>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <TextField label="Train %" inputMode="decimal" value={train} onChange={(e) => setTrain(e.target.value)} />
        <TextField label="Validation %" inputMode="decimal" value={validation} onChange={(e) => setValidation(e.target.value)} />
        <TextField label="Test %" inputMode="decimal" value={test} onChange={(e) => setTest(e.target.value)} />
        <TextField label="Seed" inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />
      </div>
      <ErrorAlert error={clientError ?? split.error} />
      <Button type="submit" variant="secondary" pending={split.isPending}>
        Split into train, validation and test
      </Button>
    </form>
  );
}
