import { render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import type { EstimateRead, JobCreate } from "@/lib/api/types";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { ReviewSummary } from "../components/wizard/ReviewStep";
import type { VersionChoice } from "../components/wizard/DatasetStep";
import { installFakeWebSocket } from "./fake-socket";

const teamId = alice.teams[0]!.id;

const choice = (id: string, name: string, number: number, rows: number) =>
  ({ dataset: { id: `d-${id}`, name }, version: { id, number, rows } }) as unknown as VersionChoice;

describe("the review step's summary", () => {
  it("says what trains, on what, where, how long and what it costs, before the YAML", () => {
    const body = {
      method: "dpo",
      adapter: "qlora",
      base_model: "HuggingFaceTB/SmolLM2-135M-Instruct",
      dataset_version_id: "v1",
      mixture: [{ dataset_version_id: "v2", weight: 0.5 }],
      executor: "modal",
      gpu_type: "A10G",
      hyperparameters: { max_steps: 200 },
    } as unknown as JobCreate;
    const estimate = {
      chosen: { executor: "modal", gpu_type: "A10G", wall_seconds: 754, total_steps: 200, cost_usd: 0.23, fits: true },
      targets: [],
      price_table_date: "2026-11-01",
      facts: { provider: "hf" },
      spec_yaml: "method: dpo\n",
    } as unknown as EstimateRead;
    render(<ReviewSummary body={body} estimate={estimate} datasets={[choice("v1", "prefs", 3, 1200), choice("v2", "extra", 1, 80)]} />);
    const summary = screen.getByRole("region", { name: "Summary" });
    const value = (label: string) => within(summary).getByText(label).nextElementSibling;
    expect(value("What trains")).toHaveTextContent("DPO of HuggingFaceTB/SmolLM2-135M-Instruct, training a QLoRA adapter (4-bit base)");
    expect(value("On what")).toHaveTextContent("prefs · v3 (1,200 rows)+ extra · v1 (80 rows), weight 0.5");
    expect(value("Where")).toHaveTextContent("Modal cloud GPU: A10G");
    expect(value("How long")).toHaveTextContent("About 12 min 34 s (200 steps)");
    expect(value("What it costs")).toHaveTextContent("About $0.23 on your Modal token");
  });

  it("says a local run costs nothing extra, and names the worker", () => {
    const body = { method: "sft", adapter: "lora", base_model: "tiny-llama", dataset_version_id: "v1", executor: "local" } as unknown as JobCreate;
    const estimate = {
      chosen: { executor: "local", worker: "gpu-box", device_name: "RTX 4090", total_seconds: 42, fits: false, message: "will not fit: 30 GiB > 24 GiB" },
      targets: [],
    } as unknown as EstimateRead;
    render(<ReviewSummary body={body} estimate={estimate} datasets={[choice("v1", "sums", 1, 64)]} />);
    const summary = screen.getByRole("region", { name: "Summary" });
    expect(within(summary).getByText("Where").nextElementSibling).toHaveTextContent("Worker gpu-box (RTX 4090)");
    expect(within(summary).getByText("How long").nextElementSibling).toHaveTextContent("About 42 s");
    expect(within(summary).getByText("What it costs").nextElementSibling).toHaveTextContent("Nothing extra");
    expect(summary).toHaveTextContent("will not fit: 30 GiB > 24 GiB");
  });
});

describe("the jobs list's search", () => {
  it("asks the server for the jobs whose name contains what was typed", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 0 }),
    });
    const { user } = renderApp("/training");
    await user.type(await screen.findByRole("searchbox", { name: "Name" }), "sums");
    await waitFor(() => expect(api.callsTo("GET", `/api/teams/${teamId}/jobs`).at(-1)!.query).toEqual({ q: "sums" }));
    expect(await screen.findByText("No jobs match these filters")).toBeInTheDocument();
  });
});
