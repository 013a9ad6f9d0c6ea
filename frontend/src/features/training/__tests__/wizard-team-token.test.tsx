import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { installFakeWebSocket } from "./fake-socket";
import { info } from "./wizard-fixtures";

// The same wizard fixtures as wizard.test.tsx (info: ./wizard-fixtures).
const teamId = alice.teams[0]!.id;
const sourceJob = "11111111-2222-4333-8444-555555555555";
const chatVersion = "5a1b2c3d-0000-4000-8000-000000000001";

function version(id: string, datasetId: string, kind: string) {
  return { id, dataset_id: datasetId, number: 1, kind, rows: 40, status: "usable", splits: ["rows"], split: null };
}

function dataset(id: string, name: string) {
  return { id, team_id: teamId, name, archived: false, description: "", versions: 1 };
}

const QUOTA_REFUSAL =
  "This team has spent $12.00 of its $10.00 Modal budget this month. This job's estimate would add about $0.05. " +
  "Run it locally, wait for the 1st (UTC), or ask an admin or owner (ana@example.com) to raise the limit on the Team page.";

describe("launching with a team's Modal token, past a team quota", () => {
  it("a member without a Modal token of their own launches on the team's, and a quota refusal is shown in full", async () => {
    installFakeWebSocket();
    startSession(tokenPair(1));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      "GET /api/info": () => json(info),
      "GET /api/credentials": () => json([]),
      [`GET /api/teams/${teamId}/credentials`]: () =>
        json({
          credentials: [
            { provider: "huggingface", configured: false },
            { provider: "modal", configured: true, last4: "cccc", status: "unverified", saved_by_name: "Ana" },
          ],
          ollama: { url: null },
        }),
      [`GET /api/jobs/${sourceJob}/config`]: () =>
        json({ method: "sft", adapter: "lora", base_model: "tiny-llama", dataset_version_id: chatVersion, preset: null,
               hyperparameters: { max_steps: 20 }, mixture: [], executor: "modal", gpu_type: "T4", seed: 42 }),
      [`GET /api/teams/${teamId}/datasets`]: () => json([dataset("d-chat", "sums")]),
      [`GET /api/teams/${teamId}/datasets/d-chat/versions`]: () => json([version(chatVersion, "d-chat", "chat")]),
      [`GET /api/teams/${teamId}/jobs`]: () => json({ items: [], total: 0 }),
      [`GET /api/teams/${teamId}/job-templates`]: () => json([]),
      [`POST /api/teams/${teamId}/jobs/estimate`]: () =>
        json({
          chosen: null,
          targets: [{ executor: "modal", gpu_type: "T4", device_name: "T4", fits: true, peak_memory_gib: 2, total_seconds: 60, cost_usd: 0.05 }],
          price_table_date: "2026-11-01",
          spec_yaml: "method: sft\n",
        }),
      [`POST /api/teams/${teamId}/jobs`]: () => apiError(409, "QuotaExceeded", QUOTA_REFUSAL),
    });
    const { user } = renderApp(`/training/new?from=${sourceJob}`);

    expect(await screen.findByRole("heading", { name: "Step 1 of 6: Goal" })).toBeInTheDocument();
    for (let step = 0; step < 2; step += 1) await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByLabelText("sums · v1")).toBeChecked();
    await user.click(screen.getByRole("button", { name: "Next" })); // to Settings
    await user.click(screen.getByRole("button", { name: "Next" })); // to Where to run
    expect(await screen.findByLabelText("Modal cloud GPU")).toBeChecked();
    expect(await screen.findByText(/Runs on Modal with your token \(the team's, ak-…cccc\)/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Add a Modal token in Settings" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));

    await user.click(screen.getByRole("button", { name: "Launch" }));
    const alert = await screen.findByText(QUOTA_REFUSAL);
    expect(within(alert.closest("[role=alert]") as HTMLElement).getByText(QUOTA_REFUSAL)).toBeInTheDocument();
    expect(api.callsTo("POST", `/api/teams/${teamId}/jobs`)[0]!.body).toMatchObject({ executor: "modal", gpu_type: "T4" });
  });
});
