import { useState, type ChangeEvent, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice } from "@/components/ui/Feedback";
import type { ConfigImportRead } from "@/lib/api/types";
import { useImportConfig } from "../../api/import-config";

const SOURCES = { llamafactory: "LLaMA-Factory", axolotl: "Axolotl" } as const;

function readInto(set: (text: string) => void) {
  return async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file) set(await file.text());
  };
}

/** "Import a LLaMA-Factory or Axolotl config": paste or choose the YAML (and LLaMA-Factory's
 * dataset_info.json); the server maps it and the wizard opens prefilled (`onImported`). */
export function ConfigImport({ onImported }: { onImported: (result: ConfigImportRead) => void }) {
  const [text, setText] = useState("");
  const [datasetInfo, setDatasetInfo] = useState("");
  const importing = useImportConfig();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    importing.mutate(
      { text, dataset_info: datasetInfo.trim() ? datasetInfo : null },
      { onSuccess: (result) => onImported(result) },
    );
  };

  return (
    <details className="mb-4 rounded-md border border-slate-200 bg-white p-3 text-sm">
      <summary className="cursor-pointer font-medium text-slate-800">Import a LLaMA-Factory or Axolotl config</summary>
      <form onSubmit={submit} className="mt-3 space-y-3">
        <label className="block">
          <span className="font-medium text-slate-700">Training YAML</span>
          <textarea
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={8}
            spellCheck={false}
            placeholder={"stage: sft\nfinetuning_type: lora\nmodel_name_or_path: …"}
            className="mt-1 block w-full rounded-md border border-slate-300 p-2 font-mono text-xs"
          />
        </label>
        <label className="block">
          <span className="text-slate-700">…or choose a .yaml file</span>
          <input type="file" accept=".yaml,.yml,text/yaml" onChange={readInto(setText)} className="mt-1 block text-xs" />
        </label>
        <label className="block">
          <span className="text-slate-700">LLaMA-Factory's dataset_info.json (optional: names the datasets' files and columns)</span>
          <input type="file" accept=".json,application/json" onChange={readInto(setDatasetInfo)} className="mt-1 block text-xs" />
        </label>
        {datasetInfo && <p className="text-xs text-slate-600">dataset_info.json read ({datasetInfo.length.toLocaleString()} characters).</p>}
        <ErrorAlert error={importing.error} />
        <Button type="submit" pending={importing.isPending} disabled={!text.trim()}>
          Import and open the wizard
        </Button>
      </form>
    </details>
  );
}

/** What an import could not carry over, and the datasets to upload first. */
export function ImportNotice({ result }: { result: ConfigImportRead }) {
  return (
    <Notice tone="warning" className="mb-4">
      <p className="font-medium">
        Imported from {SOURCES[result.source]}: the wizard shows the mapped settings. Pick the dataset in step 3.
      </p>
      {result.unmapped.length > 0 && (
        <>
          <p className="mt-2">Not imported ({result.unmapped.length}):</p>
          <ul aria-label="Options not imported" className="list-disc pl-5">
            {result.unmapped.map((option) => (
              <li key={option.key}>
                <code>
                  {option.key}: {option.value}
                </code>{" "}
                — {option.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      {result.dataset_hint.length > 0 && (
        <>
          <p className="mt-2">The datasets it trains on (upload them on the Datasets page first):</p>
          <ul aria-label="Datasets to upload" className="list-disc pl-5">
            {result.dataset_hint.map((hint) => (
              <li key={hint.name}>
                <strong>{hint.name}</strong> ({hint.format}
                {hint.kind ? ` → ${hint.kind}` : ""}){hint.location && hint.location !== hint.name ? `, ${hint.location}` : ""}
                {Object.keys(hint.columns ?? {}).length > 0 &&
                  `: columns ${Object.entries(hint.columns ?? {})
                    .map(([role, column]) => `${role} = ${column}`)
                    .join(", ")}`}
                . {hint.note}
              </li>
            ))}
          </ul>
        </>
      )}
    </Notice>
  );
}
