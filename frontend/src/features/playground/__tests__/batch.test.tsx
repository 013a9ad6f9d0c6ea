import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { BatchRead } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { feedbackDataset, feedbackVersion, teamId, v1, v2, versionSummary } from "./fixtures";

const batchId = "8c3e0000-0000-4000-8000-000000000001";
const sumsVersion = "5a1b2c3d-0000-4000-8000-000000000001";

function batch(overrides: Partial<BatchRead> = {}): BatchRead {
  return {
    id: batchId,
    dataset_version_id: sumsVersion,
    dataset_name: "sums",
    dataset_version_number: 1,
    targets: [
      { version_id: v2, base: false, label: "support-bot v2" },
      { version_id: v2, base: true, label: "base of support-bot v2 (tiny-llama)" },
    ],
    params: { temperature: 0, top_p: 1, max_new_tokens: 128, stop: [], system: null, seed: null },
    max_rows: 2,
    status: "done",
    done_rows: 2,
    total_rows: 2,
    rows: [
      {
        prompt: [{ role: "user", content: "What is 2 plus 2?" }],
        reference: "4",
        answers: ["4", "It is five"],
        scores: [
          { exact_match: 1, token_f1: 1, rouge1: 1, rouge2: 0, rougeL: 1, bleu: 0.5 },
          { exact_match: 0, token_f1: 0, rouge1: 0, rouge2: 0, rougeL: 0, bleu: 0 },
        ],
        pick: null,
      },
      {
        prompt: [{ role: "user", content: "What is 3 plus 3?" }],
        reference: "6",
        answers: ["6", "6"],
        scores: [null, null],
        pick: null,
      },
    ],
    metrics: [
      { exact_match: 1, token_f1: 1, rouge1: 1, rouge2: 0, rougeL: 1, bleu: 0.5, rows_scored: 1, mean_answer_chars: 1 },
      { exact_match: 0.5, token_f1: 0.5, rouge1: 0.5, rouge2: 0, rougeL: 0.5, bleu: 0.25, rows_scored: 1, mean_answer_chars: 10.5 },
    ],
    error: null,
    worker_name: "gpu-box",
    created_at: "2026-11-22T01:00:00Z",
    updated_at: "2026-11-22T01:01:00Z",
    ...overrides,
  };
}

describe("batch compare", () => {
  it("shows the metrics per model and the answers row by row, and saves a pick with a Train link", async () => {
    startSession(tokenPair(1));
    let stored = batch();
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/batch-compares/${batchId}`]: () => json(stored),
      [`POST /api/batch-compares/${batchId}/picks`]: (call) => {
        const { row, choice } = call.body as { row: number; choice: number };
        stored = { ...stored, rows: stored.rows.map((r, i) => (i === row ? { ...r, pick: choice } : r)) };
        return json({
          turn: null,
          saved: {
            kind: "preference",
            dataset_id: feedbackDataset,
            dataset_name: "Playground preferences",
            dataset_version_id: feedbackVersion,
            version_number: 4,
            rows: 5,
            method: "dpo",
          },
        });
      },
    });
    const { user } = renderApp(`/playground/batch/${batchId}`);

    const metrics = await screen.findByRole("table", { name: "Metrics" });
    expect(within(metrics).getAllByRole("columnheader").map((th) => th.textContent)).toEqual([
      "Model", "Exact match", "Token F1", "ROUGE-1", "ROUGE-2", "ROUGE-L", "BLEU", "Mean answer length (characters)", "Rows scored",
    ]);
    expect(within(metrics).getByRole("row", { name: /^support-bot v2/ })).toHaveTextContent("0.500");
    expect(within(metrics).getByRole("row", { name: /base of support-bot v2/ })).toHaveTextContent("0.250");
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();

    const row = screen.getByRole("listitem", { name: "Row 1" });
    expect(row).toHaveTextContent("What is 2 plus 2?");
    expect(row).toHaveTextContent("It is five");
    expect(row).toHaveTextContent("Exact match 1 · Token F1 1 · ROUGE-1 1 · ROUGE-2 0 · ROUGE-L 1 · BLEU 0.500");
    await user.click(within(row).getByRole("button", { name: "This one is better: support-bot v2, row 1" }));
    expect(api.callsTo("POST", `/api/batch-compares/${batchId}/picks`)[0]!.body).toEqual({ row: 0, choice: 0 });

    const confirmation = await within(row).findByRole("status");
    expect(confirmation).toHaveTextContent("Saved to Playground preferences v4 (5 rows)");
    expect(within(confirmation).getByRole("link", { name: "Train on this feedback" })).toHaveAttribute(
      "href",
      `/training/new?dataset_version=${feedbackVersion}&method=dpo&base_model=version:${v2}`,
    );
    expect(within(row).getByText("Picked as better")).toBeInTheDocument();
    expect(within(row).queryByRole("button", { name: /This one is better/ })).not.toBeInTheDocument();
    // Other rows can still be picked.
    expect(within(screen.getByRole("listitem", { name: "Row 2" })).getAllByRole("button", { name: /This one is better/ })).toHaveLength(2);
  });

  it("polls a running comparison every 2 s with its progress, and cancels it", async () => {
    startSession(tokenPair(1));
    let reads = 0;
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/batch-compares/${batchId}`]: () => {
        reads += 1;
        return json(batch({ status: "running", done_rows: reads === 1 ? 3 : 4, total_rows: 10, rows: [], metrics: [] }));
      },
      [`POST /api/batch-compares/${batchId}/cancel`]: () =>
        json(batch({ status: "cancelled", done_rows: 4, total_rows: 10, rows: [], metrics: [] })),
      [`GET /api/teams/${teamId}/batch-compares`]: () => json([]),
    });
    const { user } = renderApp(`/playground/batch/${batchId}`);

    const progress = await screen.findByRole("progressbar", { name: "Comparison progress" });
    expect(progress).toHaveAttribute("aria-valuenow", "3");
    expect(progress).toHaveAttribute("aria-valuemax", "10");
    await waitFor(() => expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "4"), { timeout: 4000 });
    expect(screen.getByTestId("batch-rows")).toHaveTextContent("4 of 10 answers written");

    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(api.callsTo("POST", `/api/batch-compares/${batchId}/cancel`)).toHaveLength(1);
    expect(await screen.findByText("cancelled")).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    // Finished: no more polling.
    const count = api.callsTo("GET", `/api/batch-compares/${batchId}`).length;
    await new Promise((resolve) => setTimeout(resolve, 2300));
    expect(api.callsTo("GET", `/api/batch-compares/${batchId}`)).toHaveLength(count);
  });

  it("starts a comparison of the models in the link on a dataset version, and opens it", async () => {
    startSession(tokenPair(1));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/teams/${teamId}/model-versions`]: () => json({ items: [versionSummary(v2, 2), versionSummary(v1, 1)], total: 2 }),
      [`GET /api/teams/${teamId}/batch-compares`]: () => json([]),
      [`GET /api/teams/${teamId}/datasets`]: () =>
        json([{ id: "d-sums", team_id: teamId, name: "sums", archived: false, description: "", versions: 1 }]),
      [`GET /api/teams/${teamId}/datasets/d-sums/versions`]: () =>
        json([{ id: sumsVersion, dataset_id: "d-sums", number: 1, kind: "chat", rows: 40, status: "usable", splits: ["rows"], split: null }]),
      [`POST /api/teams/${teamId}/batch-compares`]: () => json(batch({ status: "queued", done_rows: 0, total_rows: 0, rows: [], metrics: [] }), 201),
      [`GET /api/batch-compares/${batchId}`]: () => json(batch({ status: "queued", done_rows: 0, total_rows: 0, rows: [], metrics: [] })),
    });
    const { user, router } = renderApp(`/playground/batch?targets=${v2},base:${v2}`);

    expect(await screen.findByLabelText("Model 1")).toHaveValue(`v:${v2}`);
    expect(screen.getByLabelText("Model 2")).toHaveValue(`base:${v2}`);
    await waitFor(() => expect(screen.getByLabelText("Dataset version")).toHaveValue(sumsVersion));
    await user.click(screen.getByRole("button", { name: "Add a model" }));
    await user.selectOptions(screen.getByLabelText("Model 3"), "support-bot v1");
    await user.clear(screen.getByLabelText("Number of rows"));
    await user.type(screen.getByLabelText("Number of rows"), "5");
    await user.click(screen.getByRole("button", { name: "Compare" }));

    await waitFor(() => expect(router.state.location.pathname).toBe(`/playground/batch/${batchId}`));
    expect(api.callsTo("POST", `/api/teams/${teamId}/batch-compares`)[0]!.body).toEqual({
      dataset_version_id: sumsVersion,
      targets: [
        { version_id: v2, base: false },
        { version_id: v2, base: true },
        { version_id: v1, base: false },
      ],
      max_rows: 5,
      params: { max_new_tokens: 128, temperature: 0, top_p: 1 },
    });
    expect(await screen.findByText("waiting for a worker")).toBeInTheDocument();
  });
});
