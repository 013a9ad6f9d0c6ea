import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { installFakeWebSocket } from "./fake-socket";
import { info } from "./wizard-fixtures";

const teamId = alice.teams[0]!.id;
const sourceJob = "11111111-2222-4333-8444-555555555555";
const newJob = "99999999-2222-4333-8444-555555555555";
const chatVersion = "5a1b2c3d-0000-4000-8000-000000000001";
const prefVersion = "5a1b2c3d-0000-4000-8000-000000000002";

const launchedJob = {
  id: newJob,
  team_id: teamId,
  name: "SFT lora · tiny-llama · sums v1",
  status: "queued",
  method: "sft",
  adapter: "lora",
  base_model: "tiny-llama",
  executor: "local",
  step: 0,
  total_steps: null,
  attempt: 0,
  config: {},
  result: {},
  latest_metrics: {},
  created_at: "2026-11-22T01:00:00Z",
};

function version(id: string, datasetId: string, kind: string) {
  return { id, dataset_id: datasetId, number: 1, kind, rows: 40, status: "usable", splits: ["rows"], split: null };
}

function dataset(id: string, name: string) {
  return { id, team_id: teamId, name, archived: false, description: "", versions: 1 };
}

describe("the training wizard", () => {
  it("opens on a previous job's settings, offers only compatible datasets, and launches", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      "GET /api/info": () => json(info),
      "GET /api/credentials": () => json([]),
      [`GET /api/jobs/${sourceJob}/config`]: () =>
        json({
          method: "sft",
          adapter: "lora",
          base_model: "tiny-llama",
          dataset_version_id: chatVersion,
          preset: null,
          hyperparameters: { max_steps: 20, learning_rate: 0.0002 },
          mixture: [],
          executor: "local",
          seed: 42,
        }),
      [`GET /api/teams/${teamId}/datasets`]: () => json([dataset("d-chat", "sums"), dataset("d-pref", "prefs")]),
      [`GET /api/teams/${teamId}/datasets/d-chat/versions`]: () => json([version(chatVersion, "d-chat", "chat")]),
      [`GET /api/teams/${teamId}/datasets/d-pref/versions`]: () => json([version(prefVersion, "d-pref", "preference")]),
      [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 0 }),
      [`POST /api/teams/${teamId}/jobs/estimate`]: () =>
        json({
          chosen: null,
          targets: [
            { executor: "local", worker: "gpu-box", device_name: "RTX 4090", device_type: "cuda", fits: true, peak_memory_gib: 1.2, total_seconds: 30, total_steps: 20 },
            { executor: "modal", gpu_type: "T4", device_name: "T4", fits: false, peak_memory_gib: 20, total_seconds: 60, cost_usd: 0.05, message: "will not fit: 20 GiB > 16 GiB", suggestions: [{ action: "qlora", message: "use QLoRA: peak 6 GiB", fits: true }] },
          ],
          price_table_date: "2026-11-01",
          spec_yaml: "method: sft\nadapter: lora\nhyperparameters:\n  max_steps: 20\n",
        }),
      [`POST /api/teams/${teamId}/jobs`]: () => json(launchedJob, 201),
      [`POST /api/teams/${teamId}/job-templates`]: (call) =>
        json({ id: "t1", team_id: teamId, description: "", created_at: "2026-11-22T01:00:00Z", ...(call.body as object) }, 201),
      [`GET /api/teams/${teamId}/job-templates`]: () => json([]),
      [`GET /api/jobs/${newJob}`]: () => json(launchedJob),
      [`GET /api/jobs/${newJob}/artifacts`]: () => json([]),
    });
    const { user } = renderApp(`/training/new?from=${sourceJob}`);

    // 1. Goal: prefilled; reward models cannot use QLoRA, and say so.
    expect(await screen.findByRole("heading", { name: "Step 1 of 6: Goal" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Run again with changes", level: 1 })).toBeInTheDocument();
    expect(screen.getByLabelText("Supervised fine-tuning (SFT)")).toBeChecked();
    expect(screen.getByLabelText("LoRA")).toBeChecked();
    await user.click(screen.getByLabelText("Reward model"));
    expect(screen.getByLabelText("QLoRA")).toBeDisabled();
    expect(screen.getByText("Unavailable: REWARD trains with full, lora only.")).toBeInTheDocument();
    await user.click(screen.getByLabelText("Supervised fine-tuning (SFT)"));
    await user.click(screen.getByRole("button", { name: "Next" }));

    // 2. Base model: the job's bundled model.
    expect(screen.getByLabelText("tiny-llama")).toBeChecked();
    await user.click(screen.getByRole("button", { name: "Next" }));

    // 3. Dataset: the chat version is chosen; the preference one does not fit SFT.
    expect(await screen.findByLabelText("sums · v1")).toBeChecked();
    expect(await screen.findByLabelText("prefs · v1")).toBeDisabled();
    expect(screen.getByText(/SFT needs chat conversations or prompt\/completion pairs; this is preference pairs/)).toBeInTheDocument();
    expect(screen.getByText(/^chat conversations · 40 rows/)).toBeInTheDocument(); // the server's label for "chat"
    await user.click(screen.getByRole("button", { name: "Next" }));

    // 4. Settings: the advanced values came along (the panel opens on them); a bad one blocks Next.
    expect(screen.getByRole("button", { name: "Hide advanced settings" })).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByLabelText("Max steps")).toHaveValue("20");
    await user.clear(screen.getByLabelText("LoRA dropout"));
    await user.type(screen.getByLabelText("LoRA dropout"), "1.5");
    expect(screen.getByText("Must be below 1.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
    await user.clear(screen.getByLabelText("LoRA dropout"));
    // Batching (the old "Packing" switch): a choice, each explained in one line; concatenation is
    // for continued pre-training only, so SFT does not offer it.
    const batching = screen.getByLabelText("Batching");
    expect(screen.queryByLabelText("Packing")).not.toBeInTheDocument();
    expect([...batching.querySelectorAll("option")].map((o) => o.value)).toEqual(["", "auto", "packed", "length_grouped", "plain"]);
    expect(batching).toHaveAccessibleDescription(/^auto: the fastest of the others for this model, device and data/);
    await user.selectOptions(batching, "length_grouped");
    expect(batching).toHaveAccessibleDescription("length_grouped: rows of similar length batched together, so little padding.");
    await user.click(screen.getByRole("button", { name: "Next" }));

    // 5. Where to run: an estimate per target, with "won't fit" and its suggestions.
    expect(await screen.findByRole("row", { name: /Modal T4/ })).toHaveTextContent("won't fit");
    expect(screen.getByText(/use QLoRA: peak 6 GiB/)).toBeInTheDocument();
    expect(screen.getByText(/price table of 2026-11-01/)).toBeInTheDocument();
    await user.click(screen.getByLabelText("Modal cloud GPU"));
    expect(screen.getByRole("link", { name: "Add a Modal token in Settings" })).toHaveAttribute("href", "/settings");
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
    await user.click(screen.getByLabelText("Local workers"));
    await user.click(screen.getByRole("button", { name: "Next" }));

    // 6. Review and launch: the job page opens.
    expect(screen.getByLabelText("Spec YAML")).toHaveTextContent("max_steps: 20");
    await user.type(screen.getByLabelText("Template name"), "short sft");
    await user.click(screen.getByRole("button", { name: "Save as template" }));
    expect(await screen.findByText("Saved the template “short sft”.")).toBeInTheDocument();
    expect(api.callsTo("POST", `/api/teams/${teamId}/job-templates`)[0]!.body).toMatchObject({
      name: "short sft",
      config: { method: "sft", hyperparameters: { max_steps: 20 } },
    });
    await user.click(screen.getByRole("button", { name: "Launch" }));
    expect(await screen.findByRole("heading", { name: "SFT lora · tiny-llama · sums v1", level: 1 })).toBeInTheDocument();
    const launched = api.callsTo("POST", `/api/teams/${teamId}/jobs`)[0]!.body;
    expect(launched).toMatchObject({
      method: "sft",
      adapter: "lora",
      base_model: "tiny-llama",
      dataset_version_id: chatVersion,
      hyperparameters: { max_steps: 20, learning_rate: 0.0002 },
      data: { batching: "length_grouped" },
      executor: "local",
    });
  });

  it("offers registered folders, and searches the Hugging Face Hub, saying what to do when it is offline", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    const smol = (id: string, downloads: number, extra = {}) => ({
      id, downloads, likes: 12, pipeline_tag: "text-generation", library: "transformers", gated: false, private: false,
      last_modified: null, ...extra,
    });
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      "GET /api/info": () => json(info),
      "GET /api/credentials": () => json([]),
      [`GET /api/teams/${teamId}/datasets`]: () => json([]),
      [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 0 }),
      [`GET /api/teams/${teamId}/job-templates`]: () => json([]),
      "GET /api/model-folders": () => json([{ name: "llama-ft", path: "/srv/models/llama-ft" }]),
      "GET /api/hub/models": (call) =>
        call.query.search === "smol"
          ? json({
              query: "smol",
              with_token: false,
              warning: null,
              models: [smol("HuggingFaceTB/SmolLM2-135M-Instruct", 412000), smol("meta-llama/Smol-Gated", 5, { gated: true })],
            })
          : apiError(503, "HubUnavailable", "Hugging Face cannot be reached from this server. Pick a bundled model."),
    });
    const { user } = renderApp("/training/new");
    await screen.findByRole("heading", { name: "Step 1 of 6: Goal" });
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(screen.getByLabelText("A registered folder"));
    await user.click(await screen.findByLabelText("llama-ft"));
    expect(screen.getByLabelText("Folder path")).toHaveValue("/srv/models/llama-ft");
    expect(screen.getByRole("button", { name: "Next" })).toBeEnabled();

    await user.click(screen.getByLabelText("A Hugging Face Hub model"));
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled(); // no model chosen yet

    await user.type(screen.getByLabelText("Search the Hugging Face Hub"), "smol");
    const result = await screen.findByLabelText("HuggingFaceTB/SmolLM2-135M-Instruct");
    expect(screen.getByText(/412,000 downloads · 12 likes · transformers/)).toBeInTheDocument();
    expect(screen.getByText(/gated: accept its licence on huggingface.co/)).toBeInTheDocument();
    await user.click(result);
    expect(screen.getByLabelText("Hugging Face model id")).toHaveValue("HuggingFaceTB/SmolLM2-135M-Instruct");
    expect(screen.getByRole("button", { name: "Next" })).toBeEnabled();
    // Debounced: one request for the whole word, not one per keystroke.
    expect(api.callsTo("GET", "/api/hub/models").map((c) => c.query.search)).toEqual(["smol"]);

    await user.clear(screen.getByLabelText("Search the Hugging Face Hub"));
    await user.type(screen.getByLabelText("Search the Hugging Face Hub"), "qwen");
    expect(await screen.findByRole("alert")).toHaveTextContent("Hugging Face cannot be reached from this server. Pick a bundled model.");
    // The pick survives a failed search, and a typed id that is not org/name is pointed out.
    expect(screen.getByLabelText("Hugging Face model id")).toHaveValue("HuggingFaceTB/SmolLM2-135M-Instruct");
    await user.clear(screen.getByLabelText("Hugging Face model id"));
    await user.type(screen.getByLabelText("Hugging Face model id"), "not an id");
    expect(screen.getByLabelText("Hugging Face model id")).toHaveAccessibleDescription(/A Hub id looks like organisation\/model-name\./);
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
  });

  it("saves the result as a new version of a chosen model (register_as), restored from a job's config", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    const model = (id: string, name: string, latest: number) => ({
      id,
      team_id: teamId,
      name,
      description: "",
      created_at: "2026-11-22T01:00:00Z",
      version_count: latest,
      tags: {},
      latest: { id: `v-${id}`, model_id: id, model_name: name, number: latest, tags: [] },
    });
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      "GET /api/info": () => json(info),
      "GET /api/credentials": () => json([]),
      [`GET /api/jobs/${sourceJob}/config`]: () =>
        json({
          method: "sft",
          adapter: "lora",
          base_model: "tiny-llama",
          dataset_version_id: chatVersion,
          hyperparameters: { max_steps: 20 },
          mixture: [],
          executor: "local",
          register_as: { model_name: "sums-bot" },
        }),
      [`GET /api/teams/${teamId}/models`]: () =>
        json([model("m-old", "sums-bot", 1), model("m-prod", "support-bot", 3)]),
      [`GET /api/teams/${teamId}/model-versions`]: () => json({ items: [], total: 0 }),
      [`GET /api/teams/${teamId}/datasets`]: () => json([dataset("d-chat", "sums")]),
      [`GET /api/teams/${teamId}/datasets/d-chat/versions`]: () => json([version(chatVersion, "d-chat", "chat")]),
      [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 0 }),
      [`POST /api/teams/${teamId}/jobs/estimate`]: () =>
        json({ chosen: null, targets: [], price_table_date: "2026-11-01", spec_yaml: "method: sft\n" }),
      [`POST /api/teams/${teamId}/jobs`]: () => json(launchedJob, 201),
      [`GET /api/teams/${teamId}/job-templates`]: () => json([]),
      [`GET /api/jobs/${newJob}`]: () => json(launchedJob),
      [`GET /api/jobs/${newJob}/artifacts`]: () => json([]),
    });
    const { user } = renderApp(`/training/new?from=${sourceJob}`);
    expect(await screen.findByRole("heading", { name: "Step 1 of 6: Goal" })).toBeInTheDocument();
    for (let i = 0; i < 5; i++) await user.click(await screen.findByRole("button", { name: "Next" }));

    // Review: the config's model name came along; choose a new version of another model instead.
    expect(await screen.findByRole("heading", { name: "Step 6 of 6: Review" })).toBeInTheDocument();
    expect(screen.getByLabelText("A new model")).toBeChecked();
    expect(screen.getByText("Named “sums-bot”.")).toBeInTheDocument();
    await user.click(await screen.findByLabelText("A new version of a model"));
    await user.selectOptions(screen.getByLabelText("Model"), "support-bot (latest v3)");
    await user.click(screen.getByRole("button", { name: "Launch" }));
    expect(await screen.findByRole("heading", { name: "SFT lora · tiny-llama · sums v1", level: 1 })).toBeInTheDocument();
    const launched = api.callsTo("POST", `/api/teams/${teamId}/jobs`)[0]!.body as Record<string, unknown>;
    expect(launched.register_as).toEqual({ model_id: "m-prod" });
  });
});
