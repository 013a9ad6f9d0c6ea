import { describe, expect, it } from "vitest";
import {
  adapterDisabledReason,
  dataKindLabels,
  datasetDisabledReason,
  describeDataKind,
  methodDisabledReason,
  type MethodInfo,
} from "../lib/compat";
import { fieldRule } from "@/lib/api/field-rules";
import { ALL_FIELDS, choicesFor, emptyForm, fieldApplies, formErrors, fromConfig, toJobCreate } from "../lib/wizard-form";

// As /api/info lists them.
const sft: MethodInfo = { name: "sft", data_kinds: ["chat", "prompt_completion"], adapters: ["full", "lora", "qlora"], available: true };
const kto: MethodInfo = { name: "kto", data_kinds: ["unpaired_preference"], adapters: ["full", "lora", "qlora"], available: true };
const reward: MethodInfo = { name: "reward", data_kinds: ["preference"], adapters: ["full", "lora"], available: true };
const lora = { name: "lora", available: true, reason: "" };
const qlora = { name: "qlora", available: true, reason: "runs on CPU here, slowly" };
const labels = dataKindLabels([
  { name: "chat", description: "chat conversations" },
  { name: "prompt_completion", description: "prompt/completion pairs" },
  { name: "preference", description: "preference pairs (prompt/chosen/rejected)" },
  { name: "unpaired_preference", description: "labelled completions (good or bad)" },
  { name: "text", description: "raw text" },
  { name: "prompt", description: "prompts only" },
]);

describe("the wizard's compatibility rules", () => {
  it("labels data kinds as /api/info does, and shows an unknown kind by its name", () => {
    expect(describeDataKind("unpaired_preference", labels)).toBe("labelled completions (good or bad)");
    expect(describeDataKind("chat", {})).toBe("chat");
  });

  it("offers only datasets whose kind the method accepts, and says why not otherwise", () => {
    // Datasets report the training library's kind names: no mapping between vocabularies.
    expect(datasetDisabledReason(sft, "chat", labels)).toBeNull();
    expect(datasetDisabledReason(sft, "prompt_completion", labels)).toBeNull();
    expect(datasetDisabledReason(kto, "unpaired_preference", labels)).toBeNull();
    expect(datasetDisabledReason(kto, "chat", labels)).toBe(
      "KTO needs labelled completions (good or bad); this is chat conversations.",
    );
    expect(datasetDisabledReason(reward, "unpaired_preference", labels)).toMatch(/^REWARD needs preference pairs/);
    expect(datasetDisabledReason(sft, null, labels)).toBe("Its format was not recognised.");
  });

  it("disables adapters a method cannot train with, and ones unavailable here", () => {
    expect(adapterDisabledReason(sft, qlora)).toBeNull();
    expect(adapterDisabledReason(reward, qlora)).toBe("REWARD trains with full, lora only.");
    expect(adapterDisabledReason(reward, lora)).toBeNull();
    expect(adapterDisabledReason(sft, { name: "qlora", available: false, reason: "needs bitsandbytes" })).toBe(
      "needs bitsandbytes",
    );
    expect(methodDisabledReason({ name: "grpo", available: false, reason: "trl too old" })).toBe("trl too old");
  });

  it("validates advanced numbers against the spec's ranges", () => {
    const form = emptyForm();
    form.options = {
      "hyperparameters.max_steps": "0",
      "hyperparameters.learning_rate": "-1",
      "lora.dropout": "1",
      "data.validation_split": "0.2",
      "hyperparameters.batch_size": "2.5",
    };
    expect(formErrors(form)).toEqual({
      "hyperparameters.max_steps": "Must be at least 1.",
      "hyperparameters.learning_rate": "Must be above 0.",
      "lora.dropout": "Must be below 1.",
      "hyperparameters.batch_size": "Enter a whole number.",
    });
    // LoRA options do not apply to full fine-tuning, so they are neither checked nor sent.
    form.adapter = "full";
    expect(formErrors(form)["lora.dropout"]).toBeUndefined();
  });

  it("sends only what was set, and reads a saved config back into the same form", () => {
    const form = emptyForm();
    form.dataset_version_id = "v1";
    form.options = { "hyperparameters.max_steps": "20", "eval.compare_base": false, "lora.target_modules": "q_proj, v_proj" };
    form.mixture = [{ dataset_version_id: "v2", weight: "0.25" }];
    const body = toJobCreate(form);
    expect(body).toMatchObject({
      method: "sft",
      adapter: "lora",
      base_model: "tiny-llama",
      dataset_version_id: "v1",
      preset: "quick",
      hyperparameters: { max_steps: 20 },
      eval: { compare_base: false },
      lora: { target_modules: ["q_proj", "v_proj"] },
      mixture: [{ dataset_version_id: "v2", weight: 0.25 }],
      executor: "local",
      gpu_type: null,
      grpo: {},
    });
    const back = fromConfig({ ...body, preset: null }, ["tiny-llama"]);
    expect(back.options).toEqual({
      "hyperparameters.max_steps": "20",
      "eval.compare_base": false,
      "lora.target_modules": "q_proj, v_proj",
    });
    expect(back.baseModelSource).toBe("bundled");
    expect(back.preset).toBe("");
    expect(fromConfig({ base_model: "/models/x" }, ["tiny-llama"]).baseModelSource).toBe("folder");
  });

  it("takes option limits and defaults from the API schema, not from numbers written in the wizard", () => {
    const field = (key: string) => ALL_FIELDS.find((f) => f.key === key)!;
    const batch = fieldRule("JobCreate", "hyperparameters", "batch_size");
    expect(batch.minimum).toBeDefined();
    expect(field("hyperparameters.batch_size")).toMatchObject({ min: batch.minimum, max: batch.maximum });
    expect(field("lora.dropout")).toMatchObject({ min: 0, max: 1, exclusiveMax: true });
    expect(field("hyperparameters.learning_rate")).toMatchObject({ min: 0, exclusiveMin: true });
    expect(field("run.timeout_minutes")).toMatchObject({ min: 1, max: fieldRule("JobCreate", "timeout_minutes").maximum });
    expect(field("eval.enabled").default).toBe(true);
    // Every option group the wizard shows is one the schema nests in JobCreate.
    for (const group of new Set(ALL_FIELDS.map((f) => f.key.split(".")[0]!))) {
      if (group !== "run") expect(fieldRule("JobCreate", group).ref, group).toBeTruthy();
    }
    const form = emptyForm();
    form.mixture = [{ dataset_version_id: "v2", weight: String(fieldRule("MixtureSource", "weight").maximum! + 1) }];
    expect(formErrors(form)).toEqual({ "mixture.0.weight": `Must be at most ${fieldRule("MixtureSource", "weight").maximum}.` });
  });

  it("offers each method only the batchings that apply to it, and reads the old packing switch as one", () => {
    const field = ALL_FIELDS.find((f) => f.key === "data.batching")!;
    expect(choicesFor(field, "sft")).toEqual(["auto", "packed", "length_grouped", "plain"]);
    expect(choicesFor(field, "cpt")).toContain("concatenate");
    expect(choicesFor(field, "dpo")).toEqual(["auto", "length_grouped", "plain"]);
    expect(fieldApplies(field, "grpo", "lora")).toBe(false);
    for (const choice of field.choices!) expect(field.choiceHints![choice]).toMatch(new RegExp(`^${choice}: .+\\.$`));
    // packed chosen for SFT, then the method changed to DPO: the server's default is sent, not a refusal
    const form = { ...emptyForm(), method: "dpo", options: { "data.batching": "packed" } };
    expect(toJobCreate(form).data).toEqual({});
    expect(toJobCreate({ ...form, method: "sft" }).data).toEqual({ batching: "packed" });
    // a config saved with the deprecated switch
    expect(fromConfig({ method: "sft", data: { packing: true } } as never, []).options["data.batching"]).toBe("packed");
    expect(fromConfig({ method: "cpt", data: { packing: true } } as never, []).options["data.batching"]).toBe("concatenate");
  });

  it("does not count a saved config's defaults as changes", () => {
    // /jobs/{id}/config lists every setting, defaults included.
    const saved = { dataset_version_id: "v1", seed: 42, timeout_minutes: 1440, auto_oom_retry: true,
      hyperparameters: { batch_size: 4, max_steps: 7, scheduler: "linear" }, eval: { enabled: true, compare_base: false },
      lora: { target_modules: "auto", rank: 16 } } as const;
    expect(fromConfig(saved, []).options).toEqual({ "hyperparameters.max_steps": "7", "eval.compare_base": false });
  });
});
