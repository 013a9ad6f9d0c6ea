import { describe, expect, it } from "vitest";
import { adapterDisabledReason, datasetDisabledReason, dataKindOfDataset, methodDisabledReason } from "../lib/compat";
import { emptyForm, formErrors, fromConfig, toJobCreate } from "../lib/wizard-form";

// As /api/info lists them.
const sft = { name: "sft", data_kinds: ["chat", "prompt_completion"], adapters: ["full", "lora", "qlora"], available: true };
const kto = { name: "kto", data_kinds: ["unpaired_preference"], adapters: ["full", "lora", "qlora"], available: true };
const reward = { name: "reward", data_kinds: ["preference"], adapters: ["full", "lora"], available: true };
const lora = { name: "lora", available: true, reason: "" };
const qlora = { name: "qlora", available: true, reason: "runs on CPU here, slowly" };

describe("the wizard's compatibility rules", () => {
  it("maps dataset kinds onto the training library's data kinds", () => {
    expect(dataKindOfDataset("messages")).toBe("chat");
    expect(dataKindOfDataset("kto")).toBe("unpaired_preference");
    expect(dataKindOfDataset("prompt_completion")).toBe("prompt_completion");
  });

  it("offers only datasets whose kind the method accepts, and says why not otherwise", () => {
    expect(datasetDisabledReason(sft, "messages")).toBeNull();
    expect(datasetDisabledReason(sft, "prompt_completion")).toBeNull();
    expect(datasetDisabledReason(kto, "messages")).toBe(
      "KTO needs completions labelled good or bad (KTO); this is chat conversations.",
    );
    expect(datasetDisabledReason(reward, "kto")).toMatch(/^REWARD needs preference pairs/);
    expect(datasetDisabledReason(sft, null)).toBe("Its format was not recognised.");
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
});
