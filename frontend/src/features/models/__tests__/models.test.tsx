import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { CompareRead, ModelRead, ModelVersionSummary } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const teamId = alice.teams[0].id;
const modelId = "6a1c0000-0000-4000-8000-000000000001";
const v1 = "6a1c0000-0000-4000-8000-000000000101";
const v2 = "6a1c0000-0000-4000-8000-000000000102";

function summary(id: string, number: number, tags: string[]): ModelVersionSummary {
  return {
    id,
    model_id: modelId,
    model_name: "support-bot",
    number,
    created_at: "2026-11-22T01:00:00Z",
    archived: false,
    tags,
    job_id: null,
    base_model: "tiny-llama",
    key_metric: { name: "eval_loss", value: number === 2 ? 1.25 : 1.5 },
  };
}

const model: ModelRead = {
  id: modelId,
  name: "support-bot",
  description: "",
  created_at: "2026-11-22T01:00:00Z",
  version_count: 2,
  latest: summary(v2, 2, ["production"]),
  tags: { production: 2, candidate: 1 },
};

const compared: CompareRead = {
  versions: [
    { id: v1, model_name: "support-bot", number: 1, job_id: null },
    { id: v2, model_name: "support-bot", number: 2, job_id: null },
  ],
  config: [
    { key: "hyperparameters.learning_rate", values: [0.0002, 0.0004], differs: true },
    { key: "method", values: ["sft", "sft"], differs: false },
  ],
  metrics: [{ key: "eval_loss", values: [1.5, 1.25], differs: true }],
  loss_curves: [
    { version_id: v1, points: [{ step: 1, loss: 2, eval_loss: null }] },
    { version_id: v2, points: [{ step: 1, loss: 1.8, eval_loss: null }] },
  ],
  evaluation: [{ prompt: "What is 2 plus 2?", reference: "4", answers: ["four", "4"] }],
};

function fakeModelsApi() {
  return installFakeApi({
    "GET /api/auth/me": () => json(alice),
    [`GET /api/teams/${teamId}/models`]: () => json([model]),
    [`GET /api/teams/${teamId}/model-versions`]: () =>
      json({ items: [summary(v2, 2, ["production"]), summary(v1, 1, ["candidate"])], total: 2 }),
    [`GET /api/teams/${teamId}/model-versions/compare`]: () => json(compared),
  });
}

describe("Models page", () => {
  it("lists models with their latest version, tags and key metric, and compares the versions picked", async () => {
    fakeModelsApi();
    startSession(tokenPair(1));
    const { user, router } = renderApp("/models");

    const table = await screen.findByRole("table", { name: "Models" });
    expect(within(table).getByText(/support-bot/)).toBeInTheDocument();
    expect(within(table).getByRole("link", { name: "v2" })).toHaveAttribute("href", `/models/versions/${v2}`);
    expect(within(table).getByText("production: v2")).toBeInTheDocument();
    expect(within(table).getByText("candidate: v1")).toBeInTheDocument();
    expect(within(table).getByText("eval_loss 1.250")).toBeInTheDocument();

    expect(screen.getByRole("link", { name: "Batch compare on a dataset" })).toHaveAttribute("href", "/playground/batch");
    const compare = screen.getByRole("button", { name: /Compare/ });
    expect(compare).toBeDisabled();
    await user.click(screen.getByRole("checkbox", { name: "Select support-bot v1" }));
    await user.click(screen.getByRole("checkbox", { name: "Select support-bot v2" }));
    await user.click(screen.getByRole("button", { name: "Compare 2 versions" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/models/compare"));
    expect(router.state.location.search).toBe(`?ids=${v1},${v2}`);
  });

  it("shows the newest versions of a big team first and more on request", async () => {
    const many = Array.from({ length: 70 }, (_, i) => ({
      ...summary(`6a1c0000-0000-4000-8000-${String(1000 + i).padStart(12, "0")}`, 70 - i, []),
    }));
    const fake = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/teams/${teamId}/models`]: () => json([{ ...model, version_count: 70 }]),
      [`GET /api/teams/${teamId}/model-versions`]: (call) =>
        json({ items: many.slice(0, Number(call.query.limit)), total: many.length }),
    });
    startSession(tokenPair(1));
    const { user } = renderApp("/models");

    expect(await screen.findByText("Showing the newest 50 of 70 versions.")).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "Select support-bot v21" })).toBeInTheDocument();
    expect(screen.queryByRole("checkbox", { name: "Select support-bot v20" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Show more" }));
    expect(await screen.findByRole("checkbox", { name: "Select support-bot v1" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Show more" })).not.toBeInTheDocument();
    expect(fake.callsTo("GET", `/api/teams/${teamId}/model-versions`).map((c) => c.query.limit)).toEqual(["50", "100"]);
  });

  it("shows an empty state when no job has finished yet", async () => {
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/teams/${teamId}/models`]: () => json([]),
      [`GET /api/teams/${teamId}/model-versions`]: () => json({ items: [], total: 0 }),
    });
    startSession(tokenPair(1));
    renderApp("/models");
    expect(await screen.findByText("No model versions yet")).toBeInTheDocument();
  });
});

describe("Compare", () => {
  it("shows only the differences until the toggle is turned off, and the answers side by side", async () => {
    const fake = fakeModelsApi();
    startSession(tokenPair(1));
    const { user } = renderApp(`/models/compare?ids=${v1},${v2}`);

    const config = await screen.findByRole("table", { name: "Configuration" });
    expect(fake.callsTo("GET", `/api/teams/${teamId}/model-versions/compare`)[0]!.query).toEqual({ ids: `${v1},${v2}` });
    expect(within(config).getByText("hyperparameters.learning_rate")).toBeInTheDocument();
    expect(within(config).queryByText("method")).not.toBeInTheDocument();

    await user.click(screen.getByRole("checkbox", { name: /Differences only/ }));
    expect(within(screen.getByRole("table", { name: "Configuration" })).getByText("method")).toBeInTheDocument();

    expect(screen.getByRole("link", { name: "Batch compare their answers on a dataset" })).toHaveAttribute(
      "href",
      `/playground/batch?targets=${v1},${v2}`,
    );
    const metrics = screen.getByRole("table", { name: "Metrics" });
    expect(within(metrics).getByText("1.500")).toBeInTheDocument();
    expect(screen.getByText("What is 2 plus 2?")).toBeInTheDocument();
    expect(screen.getByText("four")).toBeInTheDocument();
  });
});

describe("a model version's page", () => {
  const version = {
    id: v2,
    model_id: modelId,
    model_name: "support-bot",
    number: 2,
    created_at: "2026-11-22T01:00:00Z",
    archived: false,
    tags: ["production"],
    job_id: null,
    base_model: "tiny-llama",
    notes: "",
    reference: `version:${v2}`,
    files_missing: false,
    used_by: [],
    lineage: { recorded: "at_finish", base_model: { reference: "tiny-llama", kind: "bundled" } },
  };

  it("opens the version in the playground next to its base model, or in a batch comparison", async () => {
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/model-versions/${v2}`]: () => json(version),
    });
    startSession(tokenPair(1));
    renderApp(`/models/versions/${v2}`);
    expect(await screen.findByRole("link", { name: "Open in playground" })).toHaveAttribute(
      "href",
      `/playground?version=${v2}&compare=base`,
    );
    expect(screen.getByRole("link", { name: "Batch compare with its base" })).toHaveAttribute(
      "href",
      `/playground/batch?targets=${v2},base:${v2}`,
    );
  });

  it("offers no playground for a version whose files are missing", async () => {
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/model-versions/${v2}`]: () => json({ ...version, files_missing: true }),
    });
    startSession(tokenPair(1));
    renderApp(`/models/versions/${v2}`);
    expect(await screen.findByText(/This version's files are missing/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Open in playground" })).not.toBeInTheDocument();
  });
});
