import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { installFakeWebSocket } from "./fake-socket";

const teamId = alice.teams[0]!.id;
const chatVersion = "5a1b2c3d-0000-4000-8000-000000000001";
const prefVersion = "5a1b2c3d-0000-4000-8000-000000000002";
const modelVersion = "6a1c0000-0000-4000-8000-000000000102";

const info = {
  version: "0.1.0",
  methods: [
    { name: "sft", title: "Supervised fine-tuning (SFT)", help: "Answer like your examples.", data_kinds: ["chat"], adapters: ["full", "lora", "qlora"], available: true },
    { name: "dpo", title: "Direct preference optimisation (DPO)", help: "Better and worse answers.", data_kinds: ["preference"], adapters: ["full", "lora"], available: true },
  ],
  data_kinds: [
    { name: "chat", description: "chat conversations" },
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

const version = (id: string, datasetId: string, kind: string, number = 1) => ({
  id, dataset_id: datasetId, number, kind, rows: 3, status: "usable", splits: ["rows"], split: null,
});
const dataset = (id: string, name: string) => ({ id, team_id: teamId, name, archived: false, description: "", versions: 1 });

describe("the wizard opened from a link", () => {
  it("has the method, base model and dataset version of ?method=&base_model=&dataset_version= chosen", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      "GET /api/info": () => json(info),
      "GET /api/credentials": () => json([]),
      [`GET /api/teams/${teamId}/datasets`]: () => json([dataset("d-chat", "sums"), dataset("d-pref", "Playground preferences")]),
      [`GET /api/teams/${teamId}/datasets/d-chat/versions`]: () => json([version(chatVersion, "d-chat", "chat")]),
      [`GET /api/teams/${teamId}/datasets/d-pref/versions`]: () => json([version(prefVersion, "d-pref", "preference", 3)]),
      [`GET /api/teams/${teamId}/model-versions`]: () =>
        json({ items: [{ id: modelVersion, model_id: "m1", model_name: "support-bot", number: 2, created_at: "2026-11-22T01:00:00Z", archived: false, tags: [], job_id: null, base_model: "tiny-llama" }], total: 1 }),
      [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 0 }),
      [`GET /api/teams/${teamId}/job-templates`]: () => json([]),
      [`POST /api/teams/${teamId}/jobs/estimate`]: () => json({ chosen: null, targets: [], price_table_date: "2026-11-01", spec_yaml: "" }),
    });
    const { user } = renderApp(`/training/new?dataset_version=${prefVersion}&method=dpo&base_model=version:${modelVersion}`);

    expect(await screen.findByRole("heading", { name: "Step 1 of 6: Goal" })).toBeInTheDocument();
    expect(screen.getByText(/Prefilled from the link: method DPO, the base model, the dataset version are chosen/)).toBeInTheDocument();
    expect(screen.getByLabelText("Direct preference optimisation (DPO)")).toBeChecked();
    expect(screen.getByLabelText("LoRA")).toBeChecked();
    await user.click(screen.getByRole("button", { name: "Next" }));

    expect(screen.getByLabelText("A model version")).toBeChecked();
    expect(await screen.findByLabelText("Model version")).toHaveValue(`version:${modelVersion}`);
    await user.click(screen.getByRole("button", { name: "Next" }));

    expect(await screen.findByLabelText("Playground preferences · v3")).toBeChecked();
    expect(screen.getByLabelText("sums · v1")).toBeDisabled(); // chat rows do not train DPO
    expect(screen.getByRole("button", { name: "Next" })).toBeEnabled();
  });
});
