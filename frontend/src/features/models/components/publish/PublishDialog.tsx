import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { Button } from "@/components/ui/Button";
import { Checkbox } from "@/components/ui/Checkbox";
import { ErrorAlert, Notice } from "@/components/ui/Feedback";
import { RadioCard } from "@/components/ui/RadioCard";
import { SelectField } from "@/components/ui/SelectField";
import { Spinner } from "@/components/ui/Spinner";
import { TextAreaField } from "@/components/ui/TextAreaField";
import { TextField } from "@/components/ui/TextField";
import { fieldRule } from "@/lib/api/field-rules";
import type { ModelVersionRead, PublicationCreate, PublicationRead, PublicationTarget, PublishingOptions } from "@/lib/api/types";
import { useCreatePublication, usePublishingOptions } from "../../api/publishing";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { PublishProblem } from "./PublishProblem";
import {
  defaultOllamaName,
  defaultRepoId,
  ggufTypeInWords,
  isFullFineTune,
  isRewardModel,
  ollamaNameProblem,
  repoIdProblem,
  TARGET_LABELS,
} from "./words";

type Version = Pick<ModelVersionRead, "id" | "model_name" | "number" | "lineage">;

/**
 * The publish panel of a model version: where to (Hub, Ollama, GGUF files) and how, with what stands
 * in the way said up front (no worker, no Hub token). Escape or Close closes it.
 */
export function PublishDialog({
  version,
  onClose,
  onPublished,
}: {
  version: Version;
  onClose: () => void;
  onPublished: (publication: PublicationRead) => void;
}) {
  const { team } = useCurrentTeam();
  const options = usePublishingOptions(true, team?.id);
  // The form takes its defaults (the target, the Hub repository's owner) from the options once: wait for this
  // opening's own read, not a copy cached before a token was saved in Settings or a worker came online.
  const fresh = options.isFetchedAfterMount && !options.isError ? options.data : undefined;
  const titleId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section
      role="dialog"
      aria-labelledby={titleId}
      className="min-w-0 rounded-xl border border-indigo-200 bg-white p-5 shadow-md sm:p-6"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 id={titleId} ref={heading} tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-none">
            Publish {version.model_name} v{version.number}
          </h2>
          <p className="mt-1 text-sm text-slate-600">
            A worker merges, converts, uploads and checks that the published model answers like this one. Follow it in
            Publishing history.
          </p>
        </div>
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      </div>
      <div className="mt-4">
        {!fresh && !options.isError && (
          <p role="status" className="flex items-center gap-2 text-sm text-slate-600">
            <Spinner className="size-4" /> Loading what you can publish to…
          </p>
        )}
        {options.isError && <ErrorAlert error={options.error} />}
        {fresh && <PublishForm version={version} options={fresh} onPublished={onPublished} />}
      </div>
    </section>
  );
}

function firstTarget(options: PublishingOptions): PublicationTarget {
  if (options.hub_token) return "hub";
  if (options.ollama_urls.length > 0) return "ollama";
  return "gguf";
}

const REPO_MAX = fieldRule("HubPublish", "repo_id").maxLength;
const NAME_MAX = fieldRule("OllamaPublish", "name").maxLength;
const SYSTEM_MAX = fieldRule("OllamaPublish", "system").maxLength;

function PublishForm({
  version,
  options,
  onPublished,
}: {
  version: Version;
  options: PublishingOptions;
  onPublished: (publication: PublicationRead) => void;
}) {
  const create = useCreatePublication(version.id);
  const full = isFullFineTune(version);
  const reward = isRewardModel(version);
  const [target, setTarget] = useState<PublicationTarget>(() => firstTarget(options));
  // The Hub
  const [repoId, setRepoId] = useState(() => defaultRepoId(version, options.hub_username));
  const [isPrivate, setPrivate] = useState(true);
  const [weights, setWeights] = useState<"adapter" | "merged">(full ? "merged" : "adapter");
  // Ollama
  const [url, setUrl] = useState(options.ollama_urls[0] ?? "");
  const [ollamaName, setOllamaName] = useState(() => defaultOllamaName(version));
  const [quantType, setQuantType] = useState(options.gguf_types.includes("q8_0") ? "q8_0" : (options.gguf_types[0] ?? "q8_0"));
  const [system, setSystem] = useState("");
  // GGUF files
  const [ggufTypes, setGgufTypes] = useState<string[]>(() => options.gguf_types.filter((t) => t === "f16" || t === "q8_0"));
  const [touched, setTouched] = useState(false);

  const unavailable: Record<PublicationTarget, string | null> = {
    hub: options.hub_token ? null : "no Hugging Face token saved (Settings)",
    ollama: options.ollama_urls.length ? null : "no Ollama server is allowed on this TuneForge (TUNEFORGE_OLLAMA_URLS)",
    gguf: null,
  };
  const problem =
    target === "hub"
      ? repoIdProblem(repoId, options.hub_username)
      : target === "ollama"
        ? ollamaNameProblem(ollamaName)
        : ggufTypes.length === 0
          ? "Pick at least one GGUF type."
          : null;
  const blocked = Boolean(options.worker_note) || reward || Boolean(unavailable[target]);

  function body(): PublicationCreate {
    if (target === "hub") return { target, repo_id: repoId.trim(), private: isPrivate, weights };
    if (target === "ollama") {
      return {
        target,
        url,
        name: ollamaName.trim(),
        quant_type: quantType as Extract<PublicationCreate, { target: "ollama" }>["quant_type"],
        ...(system.trim() ? { system } : {}),
      };
    }
    return {
      target,
      quant_types: options.gguf_types.filter((t) => ggufTypes.includes(t)) as Extract<PublicationCreate, { target: "gguf" }>["quant_types"],
    };
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (blocked || problem) return;
    create.mutate(body(), { onSuccess: onPublished });
  }

  return (
    <form className="space-y-4" onSubmit={submit} noValidate>
      {options.worker_note && (
        <Notice tone="warning">
          <p className="font-semibold">No worker can publish right now.</p>
          <p>{options.worker_note}</p>
        </Notice>
      )}
      {reward && (
        <Notice tone="warning">
          This version is a reward model (it scores answers); publishing is for models that write answers.
        </Notice>
      )}
      {!options.hub_token && (
        <Notice>
          No Hugging Face token saved: publishing to the Hub needs your token with write access.{" "}
          <Link to="/settings" className="font-medium text-indigo-700 underline">
            Add it in Settings
          </Link>
          .
        </Notice>
      )}
      <fieldset>
        <legend className="mb-2 text-sm font-medium text-slate-800">Publish to</legend>
        <div className="grid gap-3 md:grid-cols-3">
          <RadioCard
            name={`publish-target-${version.id}`}
            value="hub"
            checked={target === "hub"}
            onChange={() => setTarget("hub")}
            title={TARGET_LABELS.hub}
            description="A model repository under your Hugging Face user, with a model card."
            disabledReason={unavailable.hub}
          />
          <RadioCard
            name={`publish-target-${version.id}`}
            value="ollama"
            checked={target === "ollama"}
            onChange={() => setTarget("ollama")}
            title={TARGET_LABELS.ollama}
            description="A model on an Ollama server, with the chat template it was trained with."
            disabledReason={unavailable.ollama}
          />
          <RadioCard
            name={`publish-target-${version.id}`}
            value="gguf"
            checked={target === "gguf"}
            onChange={() => setTarget("gguf")}
            title="GGUF file"
            description="Files for llama.cpp, LM Studio or Ollama, to download here."
          />
        </div>
      </fieldset>

      {target === "hub" && (
        <fieldset className="space-y-3">
          <legend className="sr-only">Hugging Face Hub settings</legend>
          <TextField
            label="Repository"
            hint={
              options.hub_username
                ? `owner/name; created under ${options.hub_username} when you give only a name.`
                : "owner/name. Your token's user is not known until it is checked in Settings."
            }
            value={repoId}
            maxLength={REPO_MAX}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setRepoId(e.target.value)}
            onBlur={() => setTouched(true)}
            error={touched ? problem : null}
          />
          <Checkbox
            label="Private repository"
            hint="Only you (and your organisation) can see it until you make it public on the Hub."
            checked={isPrivate}
            onChange={setPrivate}
          />
          <fieldset>
            <legend className="mb-2 text-sm font-medium text-slate-800">Weights</legend>
            <div className="grid gap-3 sm:grid-cols-2">
              <RadioCard
                name={`publish-weights-${version.id}`}
                value="adapter"
                checked={weights === "adapter"}
                onChange={() => setWeights("adapter")}
                title="Adapter only"
                description="The LoRA adapter, small; loaded on top of its base model."
                disabledReason={full ? "a full fine-tune has no adapter: its weights are the model" : null}
              />
              <RadioCard
                name={`publish-weights-${version.id}`}
                value="merged"
                checked={weights === "merged"}
                onChange={() => setWeights("merged")}
                title="Merged weights"
                description={
                  full
                    ? "The fine-tuned model's own weights: a standalone model."
                    : "The adapter merged into its base: a standalone model, checked against base + adapter."
                }
              />
            </div>
          </fieldset>
        </fieldset>
      )}

      {target === "ollama" && (
        <fieldset className="grid gap-3 sm:grid-cols-2">
          <legend className="sr-only">Ollama settings</legend>
          <SelectField
            label="Ollama server"
            hint="The servers this TuneForge may publish to."
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            options={options.ollama_urls.map((u) => ({ value: u, label: u }))}
          />
          <TextField
            label="Model name"
            hint="What `ollama run` calls it, e.g. support-bot:v3."
            value={ollamaName}
            maxLength={NAME_MAX}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setOllamaName(e.target.value)}
            onBlur={() => setTouched(true)}
            error={touched ? problem : null}
          />
          <SelectField
            label="Quantisation"
            hint="The GGUF type Ollama runs."
            value={quantType}
            onChange={(e) => setQuantType(e.target.value)}
            options={options.gguf_types.map((t) => ({ value: t, label: ggufTypeInWords(t) ? `${t} — ${ggufTypeInWords(t)}` : t }))}
          />
          <TextAreaField
            className="sm:col-span-2"
            label="System prompt (optional)"
            hint="Empty: the chat template's own default system prompt."
            rows={3}
            value={system}
            maxLength={SYSTEM_MAX}
            onChange={(e) => setSystem(e.target.value)}
          />
        </fieldset>
      )}

      {target === "gguf" && (
        <fieldset>
          <legend className="mb-2 text-sm font-medium text-slate-800">GGUF types</legend>
          <div className="grid gap-2 sm:grid-cols-2">
            {options.gguf_types.map((t) => (
              <Checkbox
                key={t}
                label={t}
                hint={ggufTypeInWords(t)}
                checked={ggufTypes.includes(t)}
                onChange={(on) => setGgufTypes((current) => (on ? [...current, t] : current.filter((x) => x !== t)))}
              />
            ))}
          </div>
          <p className="mt-2 text-xs text-slate-600">
            Each file is loaded back and its answers compared with this model's before it is offered.
          </p>
          {touched && problem && <p className="mt-1 text-xs text-red-700">{problem}</p>}
        </fieldset>
      )}

      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" pending={create.isPending} disabled={blocked}>
          Start publishing
        </Button>
        {blocked && (
          <p className="text-sm text-slate-700">
            {options.worker_note
              ? "Waiting for a worker that can publish."
              : reward
                ? "A reward model cannot be published."
                : `${TARGET_LABELS[target]} is unavailable: ${unavailable[target]}.`}
          </p>
        )}
      </div>
      <PublishProblem error={create.error} />
    </form>
  );
}
