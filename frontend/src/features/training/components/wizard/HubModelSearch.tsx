import { useState } from "react";
import { ErrorAlert } from "@/components/ui/Feedback";
import { RadioCard } from "@/components/ui/RadioCard";
import { Spinner } from "@/components/ui/Spinner";
import { TextField } from "@/components/ui/TextField";
import { formatNumber } from "@/lib/format";
import { useDebounced } from "@/lib/use-debounced";
import { useHubSearch } from "../../api/search-hub-models";
import type { HubModel } from "@/lib/api/types";
import { HUB_ID_HINT, HUB_ID_PATTERN } from "../../lib/wizard-form";

function describe(model: HubModel): string {
  const parts = [`${formatNumber(model.downloads)} downloads`, `${formatNumber(model.likes)} likes`];
  if (model.library) parts.push(model.library);
  if (model.private) parts.push("private");
  if (model.gated) parts.push("gated: accept its licence on huggingface.co with the account of your token first");
  return parts.join(" · ");
}

/** Search the Hub through the server (with the user's saved token), pick a result, or type an id. */
export function HubModelSearch({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const [text, setText] = useState("");
  const search = useDebounced(text, 300);
  const results = useHubSearch(search);
  const searching = search.trim().length >= 2;
  const models = searching ? (results.data?.models ?? []) : [];
  return (
    <div className="space-y-4">
      <TextField
        label="Search the Hugging Face Hub"
        type="search"
        placeholder="e.g. smollm2, qwen2.5 instruct, llama-3.2"
        value={text}
        onChange={(e) => setText(e.target.value)}
        hint="Text-generation models, most downloaded first. Your saved Hugging Face token (Settings) also finds your private and gated models."
      />
      {searching && results.isFetching && (
        <p role="status" className="flex items-center gap-2 text-sm text-slate-600">
          <Spinner className="size-4" /> Searching the Hub…
        </p>
      )}
      {searching && <ErrorAlert error={results.error} />}
      {searching && results.data?.warning && (
        <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">{results.data.warning}</p>
      )}
      {searching && results.isSuccess && !results.isFetching && models.length === 0 && (
        <p className="text-sm text-slate-600">No text-generation model on the Hub matches “{search.trim()}”.</p>
      )}
      {models.length > 0 && (
        <fieldset>
          <legend className="mb-2 text-sm font-semibold text-slate-900">Hub results</legend>
          <div className="grid gap-2 md:grid-cols-2">
            {models.map((model) => (
              <RadioCard
                key={model.id}
                name="hub-model"
                value={model.id}
                checked={value === model.id}
                onChange={onChange}
                title={model.id}
                description={describe(model)}
              />
            ))}
          </div>
        </fieldset>
      )}
      <TextField
        label="Hugging Face model id"
        placeholder="organisation/model-name"
        value={value}
        onChange={(e) => onChange(e.target.value.trim())}
        hint="Picked above or typed. The worker downloads it with your Hugging Face token when it has network access."
        error={value && !HUB_ID_PATTERN.test(value) ? HUB_ID_HINT : null}
      />
    </div>
  );
}
