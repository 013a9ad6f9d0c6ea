import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { QuotasRead, TeamCredentialsRead } from "@/lib/api/types";
import { setCurrentTeamId } from "@/lib/auth/current-team";
import { startSession } from "@/lib/auth/session";
import { apiError, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceIn, lab, labId } from "./fixtures";

function quotas(overrides: Partial<QuotasRead> = {}): QuotasRead {
  return {
    meters: [
      { name: "max_concurrent_jobs", title: "Concurrent jobs", unit: "jobs", limit: 3, used: 3, percent: 100 },
      { name: "gpu_hours_per_month", title: "GPU-hours this month", unit: "GPU-hours", limit: null, used: 1.25, percent: null },
      { name: "modal_usd_per_month", title: "Modal spend this month", unit: "USD", limit: 50, used: 12.5, percent: 25 },
      { name: "storage_bytes", title: "Storage", unit: "bytes", limit: 2 * 1024 ** 3, used: 512 * 1024 ** 2, percent: 25 },
    ],
    period_start: "2026-12-01T00:00:00Z",
    who_can_raise: [{ name: "Ana Admin", email: "ana@example.com", role: "admin" }],
    can_edit: true,
    updated_at: null,
    updated_by_name: null,
    ...overrides,
  };
}

const credentials: TeamCredentialsRead = {
  credentials: [
    { provider: "huggingface", configured: true, last4: "7890", saved_at: "2026-12-01T10:00:00Z", verified_at: null,
      username: "lab", status: "valid", message: "Verified as lab", saved_by_name: "Ana Admin" },
    { provider: "modal", configured: false, last4: null, saved_at: null, verified_at: null, username: null, status: null,
      message: null, saved_by_name: null },
  ],
  ollama: { url: null, set_at: null, set_by_name: null },
};

describe("usage and quotas on the Team page", () => {
  it("shows each meter against its limit, or unlimited, and lets an admin change a limit", async () => {
    startSession(tokenPair(1, aliceIn("admin")));
    setCurrentTeamId(labId);
    const api = installFakeApi({
      "GET /api/auth/me": () => json(aliceIn("admin")),
      [`GET /api/teams/${labId}`]: () => json(lab("admin")),
      [`GET /api/teams/${labId}/invitations`]: () => json([]),
      [`GET /api/teams/${labId}/quotas`]: () => json(quotas()),
      [`GET /api/teams/${labId}/credentials`]: () => json(credentials),
      [`PUT /api/teams/${labId}/quotas`]: (call) => {
        const body = call.body as Record<string, number | null>;
        return json(quotas({ meters: quotas().meters.map((m) => (m.name === "max_concurrent_jobs" ? { ...m, limit: body.max_concurrent_jobs } : m)) }));
      },
    });
    const { user } = renderApp("/team");

    expect(await screen.findByText("3 jobs of 3 jobs (100%)")).toBeInTheDocument();
    expect(screen.getByText("1.3 GPU-hours of unlimited")).toBeInTheDocument();
    expect(screen.getByText("$12.50 of $50.00 (25%)")).toBeInTheDocument();
    expect(screen.getByText("512 MB of 2.0 GB (25%)")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Concurrent jobs used" })).toHaveAttribute("aria-valuemax", "3");

    const jobs = screen.getByLabelText("Concurrent jobs");
    expect(jobs).toHaveValue(3);
    expect(screen.getByLabelText("GPU-hours per month")).toHaveValue(null); // unlimited: empty
    expect(screen.getByLabelText("Storage (GB)")).toHaveValue(2);
    await user.clear(jobs);
    await user.type(jobs, "5");
    await user.clear(screen.getByLabelText("Modal spend per month (USD)"));
    await user.click(screen.getByRole("button", { name: "Save limits" }));
    await waitFor(() => expect(api.callsTo("PUT", `/api/teams/${labId}/quotas`)).toHaveLength(1));
    expect(api.callsTo("PUT", `/api/teams/${labId}/quotas`)[0].body).toEqual({
      max_concurrent_jobs: 5, gpu_hours_per_month: null, modal_usd_per_month: null, storage_bytes: 2 * 1024 ** 3,
    });
    expect(await screen.findByText("Limits saved.")).toBeInTheDocument();
  });

  it("shows members the limits read-only, says why and who can raise them, and what team credentials are set", async () => {
    startSession(tokenPair(1, aliceIn("member")));
    setCurrentTeamId(labId);
    installFakeApi({
      "GET /api/auth/me": () => json(aliceIn("member")),
      [`GET /api/teams/${labId}`]: () => json(lab("member")),
      [`GET /api/teams/${labId}/quotas`]: () => json(quotas({ can_edit: false })),
      [`GET /api/teams/${labId}/credentials`]: () => json(credentials),
    });
    renderApp("/team");

    const note = await screen.findByText(/Limits are set by the team's admins and owners: Ana Admin \(ana@example.com\)/);
    expect(note).toHaveAttribute("title", "Only admins and owners change limits; you are a member.");
    expect(screen.queryByRole("button", { name: "Save limits" })).not.toBeInTheDocument();

    const hub = screen.getByRole("region", { name: "Hugging Face token" });
    expect(within(hub).getByText("Set: token ending in …7890, verified, saved by Ana Admin.")).toBeInTheDocument();
    expect(within(screen.getByRole("region", { name: "Modal token" })).getByText("Not set: members use their own.")).toBeInTheDocument();
    expect(screen.queryByLabelText("New team Hugging Face token")).not.toBeInTheDocument();
    expect(screen.getByText(/Your own tokens \(Settings\) are used first/)).toHaveAttribute(
      "title", "Only admins and owners change team credentials; you are a member.",
    );
  });

  it("shows a refused team token in the server's words", async () => {
    startSession(tokenPair(1, aliceIn("owner")));
    setCurrentTeamId(labId);
    installFakeApi({
      "GET /api/auth/me": () => json(aliceIn("owner")),
      [`GET /api/teams/${labId}`]: () => json(lab("owner")),
      [`GET /api/teams/${labId}/invitations`]: () => json([]),
      [`GET /api/teams/${labId}/quotas`]: () => json(quotas()),
      [`GET /api/teams/${labId}/credentials`]: () => json(credentials),
      [`PUT /api/teams/${labId}/credentials/modal`]: () =>
        apiError(422, "ValidationError", "The request is not valid — token_id: Modal token IDs start with \"ak-\"."),
    });
    const { user } = renderApp("/team");
    await user.type(await screen.findByLabelText("Team Modal token ID"), "xx-123");
    await user.type(screen.getByLabelText("Team Modal token secret"), "as-12345678");
    await user.click(within(screen.getByRole("region", { name: "Modal token" })).getByRole("button", { name: "Save" }));
    expect(await screen.findByText(/Modal token IDs start with "ak-"/)).toBeInTheDocument();
  });
});
