import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { installFakeWebSocket } from "./fake-socket";

const teamId = alice.teams[0]!.id;

const info = {
  version: "0.1.0",
  methods: [
    { name: "sft", title: "Supervised fine-tuning (SFT)", help: "Teaches the model to answer like your examples.", data_kinds: ["chat", "prompt_completion"], adapters: ["full", "lora", "qlora"], available: true },
    { name: "dpo", title: "Direct preference optimisation (DPO)", help: "Learns from pairs of a better and a worse answer.", data_kinds: ["preference"], adapters: ["full", "lora", "qlora"], available: true },
  ],
  data_kinds: [
    { name: "chat", description: "chat conversations" },
    { name: "prompt_completion", description: "prompt/completion pairs" },
    { name: "preference", description: "preference pairs (prompt/chosen/rejected)" },
  ],
  adapters: [
    { name: "full", available: true },
    { name: "lora", available: true },
    { name: "qlora", available: true },
  ],
  providers: [{ name: "hf", available: true }],
  executors: [{ name: "local" }],
  base_models: [{ name: "tiny-llama", available: true, description: "tiny" }],
  presets: { quick: { max_steps: 30 } },
  workers: [],
};

const LF_DPO = "model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct\nstage: dpo\nfinetuning_type: lora\nquantization_bit: 4\n";

const imported = {
  source: "llamafactory",
  config: {
    method: "dpo",
    adapter: "qlora",
    base_model: "Qwen/Qwen2.5-0.5B-Instruct",
    dataset_version_id: null,
    mixture: [],
    preset: null,
    executor: "local",
    hyperparameters: { learning_rate: 5e-6, batch_size: 2 },
    method_options: { beta: 0.1 },
  },
  mapped: { method: "dpo", adapter: "qlora", base_model: "Qwen/Qwen2.5-0.5B-Instruct" },
  unmapped: [
    { key: "output_dir", value: "saves/qwen/lora/dpo", reason: "TuneForge picks the output folder" },
    { key: "dataset", value: "dpo_en_demo", reason: "the dataset must be uploaded to TuneForge first: it names 'dpo_en_demo'" },
  ],
  dataset_hint: [
    {
      name: "dpo_en_demo",
      location: "dpo_en_demo.json",
      format: "sharegpt",
      kind: "preference",
      columns: { messages: "conversations", chosen: "chosen", rejected: "rejected" },
      note: "Upload dpo_en_demo.json on the Datasets page; TuneForge detects the sharegpt format",
    },
  ],
};

describe("importing a LLaMA-Factory or Axolotl config", () => {
  it("opens the wizard on the mapped config and lists what was not imported and the datasets to upload", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      "GET /api/info": () => json(info),
      "GET /api/credentials": () => json([]),
      [`GET /api/teams/${teamId}/datasets`]: () => json([]),
      [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 0 }),
      [`GET /api/teams/${teamId}/job-templates`]: () => json([]),
      "GET /api/model-folders": () => json([]),
      "POST /api/config-imports": (call) =>
        (call.body as { text: string }).text.includes("[8")
          ? apiError(400, "BadRequest", "line 2: expected ',' or ']' (in the config). Fix the YAML at that line and import again.")
          : json(imported),
    });
    const { user } = renderApp("/training/new");
    await screen.findByRole("heading", { name: "Step 1 of 6: Goal" });
    expect(screen.getByLabelText("Supervised fine-tuning (SFT)")).toBeChecked();

    await user.click(screen.getByText("Import a LLaMA-Factory or Axolotl config"));
    await user.click(screen.getByLabelText("Training YAML"));
    await user.paste("lora_rank: [8");
    await user.click(screen.getByRole("button", { name: "Import and open the wizard" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("line 2: expected ',' or ']'");

    await user.clear(screen.getByLabelText("Training YAML"));
    await user.click(screen.getByLabelText("Training YAML"));
    await user.paste(LF_DPO);
    const datasetInfo = '{"dpo_en_demo": {"file_name": "dpo_en_demo.json", "formatting": "sharegpt", "ranking": true}}';
    await user.upload(screen.getByLabelText(/dataset_info.json \(optional/), new File([datasetInfo], "dataset_info.json", { type: "application/json" }));
    expect(await screen.findByText(/dataset_info.json read/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Import and open the wizard" }));

    const notImported = await screen.findByRole("list", { name: "Options not imported" });
    expect(within(notImported).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "output_dir: saves/qwen/lora/dpo — TuneForge picks the output folder",
      "dataset: dpo_en_demo — the dataset must be uploaded to TuneForge first: it names 'dpo_en_demo'",
    ]);
    expect(screen.getByRole("list", { name: "Datasets to upload" })).toHaveTextContent(
      "dpo_en_demo (sharegpt → preference), dpo_en_demo.json: columns messages = conversations, chosen = chosen, rejected = rejected.",
    );
    expect(screen.getByText(/Imported from LLaMA-Factory/)).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/config-imports").at(-1)?.body).toEqual({ text: LF_DPO, dataset_info: datasetInfo });

    // The wizard reopened on the imported config.
    expect(screen.getByRole("heading", { name: "Step 1 of 6: Goal" })).toBeInTheDocument();
    expect(screen.getByLabelText("Direct preference optimisation (DPO)")).toBeChecked();
    expect(screen.getByLabelText("QLoRA")).toBeChecked();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.getByLabelText("Hugging Face model id")).toHaveValue("Qwen/Qwen2.5-0.5B-Instruct");
  });
});
