import type { JobCreate } from "../api/types";

/**
 * The wizard's state, kept across steps. Advanced options are held as the text the user typed
 * (keyed "group.field"); empty means "the server's default", so only what was set is sent.
 */
export type BaseModelSource = "bundled" | "folder" | "job" | "hub";
/** A Hugging Face Hub model id: organisation/model-name. */
export const HUB_ID_PATTERN = /^[\w.-]+\/[\w.-]+$/;
export const HUB_ID_HINT = "A Hub id looks like organisation/model-name.";
export type MixtureRow = { dataset_version_id: string; weight: string };
export type WizardForm = {
  name: string;
  method: string;
  adapter: string;
  provider: string;
  baseModelSource: BaseModelSource;
  base_model: string;
  dataset_version_id: string;
  mixture: MixtureRow[];
  preset: "" | "quick" | "balanced" | "quality";
  options: Record<string, string | boolean>;
  rewards: { kind: string; weight: string; pattern: string; target_length: string }[];
  executor: "local" | "modal";
  gpu_type: string;
  auto_resume: boolean;
};

export type FieldDef = {
  key: string; // "group.field"
  label: string;
  kind: "int" | "float" | "bool" | "select" | "text";
  min?: number;
  max?: number;
  /** true: the value must be strictly above `min`. */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  choices?: string[];
  hint?: string;
  /** Shown only for these methods / adapters. */
  methods?: string[];
  adapters?: string[];
};

const PREFERENCE = ["dpo", "orpo", "kto", "simpo", "cpo", "grpo"];

// Every option of docs/api/jobs.md, with the spec's limits (backend/tuneforge/training/spec.py).
export const FIELD_GROUPS: { id: string; title: string; fields: FieldDef[] }[] = [
  {
    id: "hyperparameters",
    title: "Hyperparameters",
    fields: [
      { key: "hyperparameters.epochs", label: "Epochs", kind: "float", min: 0, exclusiveMin: true, hint: "Passes over the data." },
      { key: "hyperparameters.max_steps", label: "Max steps", kind: "int", min: 1, hint: "Overrides epochs when set." },
      { key: "hyperparameters.learning_rate", label: "Learning rate", kind: "float", min: 0, exclusiveMin: true, max: 1, hint: "Empty: a default for the method and adapter." },
      { key: "hyperparameters.scheduler", label: "Scheduler", kind: "select", choices: ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt"] },
      { key: "hyperparameters.warmup_ratio", label: "Warm-up ratio", kind: "float", min: 0, max: 1, exclusiveMax: true },
      { key: "hyperparameters.warmup_steps", label: "Warm-up steps", kind: "int", min: 0 },
      { key: "hyperparameters.batch_size", label: "Batch size", kind: "int", min: 1, max: 4096 },
      { key: "hyperparameters.gradient_accumulation", label: "Gradient accumulation", kind: "int", min: 1, max: 4096 },
      { key: "hyperparameters.weight_decay", label: "Weight decay", kind: "float", min: 0, max: 10 },
      { key: "hyperparameters.max_grad_norm", label: "Max grad norm", kind: "float", min: 0 },
      { key: "hyperparameters.precision", label: "Precision", kind: "select", choices: ["auto", "bf16", "fp16", "fp32"] },
      { key: "hyperparameters.optimizer", label: "Optimizer", kind: "select", choices: ["adamw_torch", "adamw_torch_fused", "adafactor", "sgd", "adamw_8bit"] },
      { key: "hyperparameters.gradient_checkpointing", label: "Gradient checkpointing", kind: "bool", hint: "Less memory, slower steps." },
      { key: "hyperparameters.eval_steps", label: "Evaluate every N steps", kind: "int", min: 1, hint: "Empty: at the end only." },
      { key: "hyperparameters.save_steps", label: "Checkpoint every N steps", kind: "int", min: 1, hint: "Empty: at the end only." },
      { key: "hyperparameters.save_total_limit", label: "Checkpoints kept", kind: "int", min: 1 },
      { key: "hyperparameters.early_stopping_patience", label: "Early-stopping patience", kind: "int", min: 1, hint: "Needs “Evaluate every N steps”." },
      { key: "hyperparameters.logging_steps", label: "Log every N steps", kind: "int", min: 1 },
    ],
  },
  {
    id: "lora",
    title: "LoRA",
    fields: [
      { key: "lora.rank", label: "LoRA rank", kind: "int", min: 1, max: 1024, adapters: ["lora", "qlora"] },
      { key: "lora.alpha", label: "LoRA alpha", kind: "float", min: 0, exclusiveMin: true, adapters: ["lora", "qlora"] },
      { key: "lora.dropout", label: "LoRA dropout", kind: "float", min: 0, max: 1, exclusiveMax: true, adapters: ["lora", "qlora"] },
      { key: "lora.target_modules", label: "Target modules", kind: "text", hint: "auto, all-linear, or comma-separated names (q_proj, v_proj).", adapters: ["lora", "qlora"] },
      { key: "lora.use_rslora", label: "Rank-stabilised LoRA", kind: "bool", adapters: ["lora", "qlora"] },
      { key: "lora.use_dora", label: "DoRA", kind: "bool", adapters: ["lora", "qlora"] },
    ],
  },
  {
    id: "qlora",
    title: "QLoRA",
    fields: [
      { key: "qlora.quant_type", label: "4-bit type", kind: "select", choices: ["nf4", "fp4"], adapters: ["qlora"] },
      { key: "qlora.double_quant", label: "Double quantisation", kind: "bool", adapters: ["qlora"] },
      { key: "qlora.compute_dtype", label: "Compute dtype", kind: "select", choices: ["auto", "bf16", "fp16", "fp32"], adapters: ["qlora"] },
    ],
  },
  {
    id: "data",
    title: "Data",
    fields: [
      { key: "data.max_length", label: "Max length (tokens)", kind: "int", min: 8, max: 131072 },
      { key: "data.packing", label: "Packing", kind: "bool", hint: "Join short rows into full-length sequences." },
      { key: "data.loss_on", label: "Loss on", kind: "select", choices: ["assistant", "all"], hint: "assistant: answers only; all: every token." },
      { key: "data.chat_template", label: "Chat template", kind: "select", choices: ["auto", "chatml", "llama-3", "alpaca", "zephyr"] },
      { key: "data.validation_split", label: "Validation split", kind: "float", min: 0, max: 0.9, exclusiveMax: true, hint: "Share of rows held out (unsplit versions)." },
      { key: "data.max_rows", label: "Max rows", kind: "int", min: 1 },
    ],
  },
  {
    id: "eval",
    title: "Evaluation",
    fields: [
      { key: "eval.enabled", label: "Evaluate after training", kind: "bool" },
      { key: "eval.compare_base", label: "Compare with the base model", kind: "bool" },
      { key: "eval.generation_samples", label: "Generation samples", kind: "int", min: 0, max: 10000 },
      { key: "eval.max_new_tokens", label: "Max new tokens", kind: "int", min: 1, max: 32768 },
    ],
  },
  {
    id: "method_options",
    title: "Method options",
    fields: [
      { key: "method_options.beta", label: "Beta", kind: "float", min: 0, exclusiveMin: true, hint: "Preference strength; empty: the method's default.", methods: PREFERENCE },
      { key: "method_options.dpo_loss", label: "DPO loss", kind: "select", choices: ["sigmoid", "ipo", "hinge", "robust"], methods: ["dpo"] },
      { key: "method_options.simpo_gamma", label: "SimPO gamma", kind: "float", methods: ["simpo"] },
      { key: "method_options.cpo_alpha", label: "CPO alpha", kind: "float", methods: ["cpo"] },
      { key: "method_options.desirable_weight", label: "Desirable weight", kind: "float", min: 0, exclusiveMin: true, methods: ["kto"] },
      { key: "method_options.undesirable_weight", label: "Undesirable weight", kind: "float", min: 0, exclusiveMin: true, methods: ["kto"] },
    ],
  },
  {
    id: "grpo",
    title: "GRPO",
    fields: [
      { key: "grpo.num_generations", label: "Generations per prompt", kind: "int", min: 2, max: 256, methods: ["grpo"] },
      { key: "grpo.max_completion_length", label: "Max completion length", kind: "int", min: 1, methods: ["grpo"] },
      { key: "grpo.temperature", label: "Temperature", kind: "float", min: 0, exclusiveMin: true, max: 10, methods: ["grpo"] },
      { key: "grpo.reward_model", label: "Reward model folder", kind: "text", hint: "Output folder of a reward run, scored alongside.", methods: ["grpo"] },
    ],
  },
  {
    id: "run",
    title: "Run",
    fields: [
      { key: "run.seed", label: "Seed", kind: "int", min: 0 },
      { key: "run.timeout_minutes", label: "Timeout (minutes)", kind: "int", min: 1, max: 10080 },
      { key: "run.merge_adapter", label: "Also save the merged model", kind: "bool", adapters: ["lora", "qlora"] },
      { key: "run.auto_oom_retry", label: "Retry with a smaller batch on out-of-memory", kind: "bool" },
    ],
  },
];

export const ALL_FIELDS = FIELD_GROUPS.flatMap((group) => group.fields);

export function fieldApplies(field: FieldDef, method: string, adapter: string): boolean {
  return (!field.methods || field.methods.includes(method)) && (!field.adapters || field.adapters.includes(adapter));
}

/** The message for an out-of-range value, or null. Empty is always fine (server default). */
export function validateField(field: FieldDef, value: string | boolean | undefined): string | null {
  if (field.kind !== "int" && field.kind !== "float") return null;
  if (value === undefined || value === "" || typeof value === "boolean") return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return "Enter a number.";
  if (field.kind === "int" && !Number.isInteger(n)) return "Enter a whole number.";
  if (field.min !== undefined && (field.exclusiveMin ? n <= field.min : n < field.min)) {
    return field.exclusiveMin ? `Must be above ${field.min}.` : `Must be at least ${field.min}.`;
  }
  if (field.max !== undefined && (field.exclusiveMax ? n >= field.max : n > field.max)) {
    return field.exclusiveMax ? `Must be below ${field.max}.` : `Must be at most ${field.max}.`;
  }
  return null;
}

export function formErrors(form: WizardForm): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of ALL_FIELDS) {
    if (!fieldApplies(field, form.method, form.adapter)) continue;
    const message = validateField(field, form.options[field.key]);
    if (message) errors[field.key] = message;
  }
  form.mixture.forEach((row, i) => {
    const w = Number(row.weight);
    if (!row.dataset_version_id) errors[`mixture.${i}.dataset`] = "Choose a dataset version.";
    if (!(w > 0 && w <= 1000)) errors[`mixture.${i}.weight`] = "A weight above 0 and at most 1000.";
  });
  return errors;
}

export function emptyForm(): WizardForm {
  return {
    name: "",
    method: "sft",
    adapter: "lora",
    provider: "auto",
    baseModelSource: "bundled",
    base_model: "tiny-llama",
    dataset_version_id: "",
    mixture: [],
    preset: "quick",
    options: {},
    rewards: [{ kind: "exact_match", weight: "1", pattern: "", target_length: "" }],
    executor: "local",
    gpu_type: "",
    auto_resume: true,
  };
}

function parse(field: FieldDef, value: string | boolean): unknown {
  if (field.kind === "bool") return Boolean(value);
  if (field.kind === "int" || field.kind === "float") return Number(value);
  if (field.key === "lora.target_modules" && typeof value === "string" && value.includes(",")) {
    return value.split(",").map((s) => s.trim()).filter(Boolean);
  }
  return value;
}

/** The JobCreate body for the form (estimate and launch send the same). */
export function toJobCreate(form: WizardForm): JobCreate {
  const groups: Record<string, Record<string, unknown>> = {};
  for (const field of ALL_FIELDS) {
    const value = form.options[field.key];
    if (value === undefined || value === "" || !fieldApplies(field, form.method, form.adapter)) continue;
    const [group, name] = field.key.split(".") as [string, string];
    (groups[group] ??= {})[name] = parse(field, value);
  }
  const run = groups.run ?? {};
  const body: JobCreate = {
    method: form.method,
    adapter: form.adapter,
    provider: form.provider,
    base_model: form.base_model.trim(),
    dataset_version_id: form.dataset_version_id,
    mixture: form.mixture
      .filter((row) => row.dataset_version_id)
      .map((row) => ({ dataset_version_id: row.dataset_version_id, weight: Number(row.weight) })),
    preset: form.preset || null,
    data: groups.data ?? {},
    lora: groups.lora ?? {},
    qlora: groups.qlora ?? {},
    hyperparameters: groups.hyperparameters ?? {},
    method_options: groups.method_options ?? {},
    eval: groups.eval ?? {},
    grpo:
      form.method === "grpo"
        ? {
            ...(groups.grpo ?? {}),
            rewards: form.rewards.map((r) => ({
              kind: r.kind,
              weight: Number(r.weight || 1),
              ...(r.kind === "regex" && r.pattern ? { pattern: r.pattern } : {}),
              ...(r.kind === "length" && r.target_length ? { target_length: Number(r.target_length) } : {}),
            })),
          }
        : {},
    executor: form.executor,
    gpu_type: form.executor === "modal" ? form.gpu_type || null : null,
    auto_resume: form.auto_resume,
    // The server's defaults, unless set under Advanced.
    weight: 1,
    seed: (run.seed as number | undefined) ?? 42,
    timeout_minutes: (run.timeout_minutes as number | undefined) ?? 1440,
    merge_adapter: (run.merge_adapter as boolean | undefined) ?? false,
    auto_oom_retry: (run.auto_oom_retry as boolean | undefined) ?? true,
  };
  if (form.name.trim()) body.name = form.name.trim();
  return body;
}

/** The wizard's state for a saved config (a job's `/config`, or a template's `config`). */
export function fromConfig(config: Partial<JobCreate> & Record<string, unknown>, bundled: string[]): WizardForm {
  const form = emptyForm();
  form.method = config.method ?? form.method;
  form.adapter = config.adapter ?? form.adapter;
  form.provider = config.provider ?? form.provider;
  form.base_model = config.base_model ?? form.base_model;
  form.baseModelSource = bundled.includes(form.base_model)
    ? "bundled"
    : form.base_model.startsWith("/")
      ? "folder"
      : "hub";
  form.dataset_version_id = config.dataset_version_id ?? "";
  form.mixture = (config.mixture ?? []).map((m) => ({ dataset_version_id: m.dataset_version_id, weight: String(m.weight) }));
  form.preset = (config.preset as WizardForm["preset"]) ?? "";
  form.executor = (config.executor as WizardForm["executor"]) ?? "local";
  form.gpu_type = config.gpu_type ?? "";
  form.auto_resume = config.auto_resume ?? true;
  form.name = typeof config.name === "string" ? config.name : "";
  const groups: Record<string, unknown> = {
    ...config,
    run: {
      seed: config.seed,
      timeout_minutes: config.timeout_minutes,
      merge_adapter: config.merge_adapter,
      auto_oom_retry: config.auto_oom_retry,
    },
  };
  for (const field of ALL_FIELDS) {
    const [group, name] = field.key.split(".") as [string, string];
    const values = groups[group];
    if (!values || typeof values !== "object") continue;
    const value = (values as Record<string, unknown>)[name];
    if (value === undefined || value === null) continue;
    form.options[field.key] =
      field.kind === "bool" ? Boolean(value) : Array.isArray(value) ? value.join(", ") : String(value);
  }
  // Defaults the server fills in anyway are not "changes": keep the run group minimal.
  if (form.options["run.seed"] === "42") delete form.options["run.seed"];
  if (form.options["run.timeout_minutes"] === "1440") delete form.options["run.timeout_minutes"];
  if (form.options["run.merge_adapter"] === false) delete form.options["run.merge_adapter"];
  if (form.options["run.auto_oom_retry"] === true) delete form.options["run.auto_oom_retry"];
  const rewards = (config.grpo as { rewards?: Record<string, unknown>[] } | undefined)?.rewards;
  if (rewards?.length) {
    form.rewards = rewards.map((r) => ({
      kind: String(r.kind ?? "exact_match"),
      weight: String(r.weight ?? 1),
      pattern: String(r.pattern ?? ""),
      target_length: r.target_length ? String(r.target_length) : "",
    }));
  }
  return form;
}
