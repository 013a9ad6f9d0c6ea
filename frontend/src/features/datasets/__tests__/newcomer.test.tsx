import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { DatasetRead, IssueRead, VersionRead } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, noContent, tokenPair, type Call } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const teamId = alice.teams[0].id;
const base = `/api/teams/${teamId}/datasets`;
const datasetId = "0d5f7c1e-0000-4000-8000-000000000031";

function version(number: number, overrides: Partial<VersionRead> = {}): VersionRead {
  return {
    id: `0d5f7c1e-0000-4000-8000-00000000030${number}`,
    dataset_id: datasetId,
    number,
    sha256: "cd".repeat(32),
    parent_id: null,
    operation: number === 1 ? "upload" : "mapping",
    notes: "",
    author_id: alice.id,
    created_at: "2026-11-22T01:00:00Z",
    kind: "prompt_completion",
    mapping: { format: "prompt_completion", columns: { prompt: "q", completion: "a" } },
    detection: { title: "Prompt/completion", candidates: [], columns: ["q", "a"], ambiguous: false, message: "" },
    stats: { rows: 45, valid_rows: 45, rows_with_errors: 0 },
    issues_summary: { errors: 0, warnings: 0, infos: 0, by_code: {}, truncated: false },
    split: null,
    splits: ["rows"],
    sources: [{ name: "qa.jsonl", size: 900, sha256: "abc" }],
    options: {},
    rows: 45,
    size_bytes: 900,
    status: "usable",
    usable: true,
    ...overrides,
  } as VersionRead;
}

function dataset(overrides: Partial<DatasetRead> = {}): DatasetRead {
  return {
    id: datasetId,
    team_id: teamId,
    name: "Support answers",
    description: "",
    created_by: alice.id,
    created_at: "2026-11-22T01:00:00Z",
    updated_at: "2026-11-22T01:00:00Z",
    archived: false,
    versions: 1,
    latest_version: null,
    ...overrides,
  };
}

const formats = [
  { name: "prompt_completion", kind: "prompt_completion", title: "Prompt/completion",
    required: { prompt: ["prompt"], completion: ["completion"] }, optional: {} },
];

function issue(row: number | null, code: string, message: string, severity: IssueRead["severity"] = "warning"): IssueRead {
  return { severity, code, message, hint: "", row, file: null, line: null, column: null, field: null };
}

/** Rows 1…total: each page answers its own rows (`offset`, `limit` from the query). */
function rowsPage(call: Call, total: number) {
  const offset = Number(call.query.offset ?? 0);
  const limit = Number(call.query.limit ?? 20);
  const items = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => ({
    row: offset + i + 1,
    normalized: { prompt: `question ${offset + i + 1}`, completion: `answer ${offset + i + 1}` },
    raw: null,
    invalid: false,
    issues: [],
  }));
  return json({ items, total, offset, limit, split: "rows" });
}

/** One dataset with the given versions (newest first); `extra` adds or overrides routes. */
function fakeDataset(versions: VersionRead[], extra: Record<string, (call: Call) => Response | Promise<Response>> = {}) {
  const current = { dataset: dataset({ versions: versions.length, latest_version: versions[0] }) };
  const perVersion = Object.fromEntries(
    versions.flatMap((v) => [
      [`GET ${base}/${datasetId}/versions/${v.id}/issues`, () => json({ items: [], total: 0, offset: 0, limit: 50, summary: v.issues_summary })],
      [`GET ${base}/${datasetId}/versions/${v.id}/rows`, (call: Call) => rowsPage(call, v.rows)],
    ]),
  );
  const fake = installFakeApi({
    "GET /api/auth/me": () => json(alice),
    "GET /api/dataset-formats": () => json(formats),
    [`GET ${base}`]: () => json([current.dataset]),
    [`GET ${base}/${datasetId}`]: () => json(current.dataset),
    [`GET ${base}/${datasetId}/versions`]: () => json(versions),
    ...perVersion,
    ...extra,
  });
  return { fake, current };
}

describe("a newcomer's first hour with datasets", () => {
  it("names a refused file with the reason instead of asking for files", async () => {
    startSession(tokenPair(1));
    const { fake } = fakeDataset([]);
    const { user } = renderApp("/datasets");
    const zone = await screen.findByTestId("drop-zone");
    fireEvent.drop(zone, { dataTransfer: { files: [new File(["%PDF-1.7"], "report.pdf")] } });
    const reason = "report.pdf: PDF files can't be read; upload JSONL, JSON, CSV/TSV, Parquet, text, Markdown or a zip of them";
    expect(screen.getByText(reason)).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Upload dataset" }));
    expect(screen.getByText(reason)).toBeInTheDocument();
    expect(screen.queryByText("Choose one or more files to upload.")).not.toBeInTheDocument();
    expect(screen.getByText("None of the chosen files can be uploaded; choose files TuneForge can read.")).toBeInTheDocument();
    expect(fake.callsTo("POST", base)).toHaveLength(0);
  });

  it("shows the server's reason when it refuses a binary file", async () => {
    startSession(tokenPair(1));
    const detail =
      "photo.jsonl looks like a PNG image, not a .jsonl file, so the upload was refused and nothing was stored. " +
      "Upload JSONL, JSON, CSV/TSV, Parquet, text, Markdown or a zip of them.";
    fakeDataset([], { [`POST ${base}`]: () => apiError(400, "BadRequest", detail) });
    const { user } = renderApp("/datasets");
    fireEvent.drop(await screen.findByTestId("drop-zone"), {
      dataTransfer: { files: [new File(["\x89PNG"], "photo.jsonl")] },
    });
    await user.click(screen.getByRole("button", { name: "Upload dataset" }));
    expect(await screen.findByText(detail)).toBeInTheDocument();
  });

  it("says a re-read gives the same rows as an existing version, and goes there", async () => {
    startSession(tokenPair(1));
    const v1 = version(1, { mapping: { format: "prompt_completion", columns: { prompt: "a", completion: "q" } } });
    const v2 = version(2);
    const { fake } = fakeDataset([v2, v1], {
      [`POST ${base}/${datasetId}/versions/${v1.id}/mapping`]: () =>
        json({ dataset: dataset({ versions: 2, latest_version: v2 }), version: v2, created: false }),
    });
    const { user } = renderApp(`/datasets/${datasetId}?version=${v1.id}`);
    expect(await screen.findByRole("heading", { name: "Version 1" })).toBeInTheDocument();
    await user.selectOptions(await screen.findByLabelText("Column for prompt"), "q");
    await user.selectOptions(screen.getByLabelText("Column for completion"), "a");
    await user.click(screen.getByRole("button", { name: "Re-read with this mapping" }));

    expect(await screen.findByRole("heading", { name: "Version 2" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent(
      "This gives the same rows as version 2, so nothing new was stored; showing version 2.",
    );
    expect(within(screen.getByRole("navigation", { name: "Versions" })).getByRole("link", { current: "page" })).toHaveTextContent(
      "Version 2",
    );
    expect(fake.callsTo("POST", `${base}/${datasetId}/versions/${v1.id}/mapping`)).toHaveLength(1);
  });

  it("explains which column does not fit when a mapping reads no row", async () => {
    startSession(tokenPair(1));
    const v1 = version(1, { mapping: { format: "prompt_completion", columns: { prompt: "a", completion: "q" } } });
    const detail =
      "The mapping does not fit this data: none of the 45 rows could be read with it, so nothing was stored. In row 1, " +
      "the 'q' field is a list, not text (column 'q', used for 'prompt'). Choose another column for 'prompt', or another format.";
    fakeDataset([v1], {
      [`POST ${base}/${datasetId}/versions/${v1.id}/mapping`]: () => apiError(400, "BadRequest", detail),
    });
    const { user } = renderApp(`/datasets/${datasetId}`);
    await user.selectOptions(await screen.findByLabelText("Column for prompt"), "q");
    await user.selectOptions(screen.getByLabelText("Column for completion"), "a");
    await user.click(screen.getByRole("button", { name: "Re-read with this mapping" }));
    expect(await screen.findByText(detail)).toBeInTheDocument();
  });

  it("groups issues by kind with counts; an issue jumps to its row in a compact preview", async () => {
    startSession(tokenPair(1));
    const v1 = version(1, {
      status: "has_errors",
      usable: false,
      stats: { rows: 45, valid_rows: 44, rows_with_errors: 1 },
      issues_summary: { errors: 1, warnings: 3, infos: 0, by_code: { duplicate: 3, empty_field: 1 }, truncated: false },
    });
    const { fake } = fakeDataset([v1], {
      [`GET ${base}/${datasetId}/versions/${v1.id}/issues`]: (call) =>
        json({
          items:
            call.query.code === "duplicate"
              ? [issue(12, "duplicate", "row 12: identical to row 3"), issue(25, "duplicate", "row 25: identical to row 3"),
                 issue(41, "duplicate", "row 41: identical to row 3")]
              : [issue(7, "empty_field", "row 7: the completion is empty", "error")],
          total: call.query.code === "duplicate" ? 3 : 1,
          offset: 0,
          limit: 50,
          summary: v1.issues_summary,
        }),
    });
    const { user } = renderApp(`/datasets/${datasetId}`);
    const issues = within((await screen.findByRole("heading", { name: "Issues" })).closest("section")!);
    const groups = within(issues.getByRole("list", { name: "Issues by kind" }));
    const toggles = groups.getAllByRole("button").filter((b) => b.hasAttribute("aria-expanded"));
    expect(toggles.map((b) => b.textContent)).toEqual(["▾errorEmpty fields1", "▸warningDuplicate rows3"]);
    // Errors open first; the others open on click, asking for their code only.
    expect(await issues.findByText("row 7: the completion is empty")).toBeInTheDocument();
    await user.click(groups.getByRole("button", { name: /Duplicate rows/ }));
    await user.click(await issues.findByRole("button", { name: "row 25: identical to row 3" }));

    // The preview goes to the page holding row 25 and opens it.
    const preview = within(screen.getByRole("heading", { name: "Preview" }).closest("section")!);
    const row25 = await preview.findByRole("button", { name: /^Row 25/ });
    expect(row25).toHaveAttribute("aria-expanded", "true");
    expect(within(preview.getByRole("listitem", { name: "Row 25" })).getByText("answer 25")).toBeInTheDocument();
    expect(preview.getByRole("button", { name: /^Row 21/ })).toHaveAttribute("aria-expanded", "false");
    const pages = fake.callsTo("GET", `${base}/${datasetId}/versions/${v1.id}/rows`).map((c) => c.query.offset);
    expect(pages).toEqual(["0", "20"]);
    expect(fake.callsTo("GET", `${base}/${datasetId}/versions/${v1.id}/issues`).map((c) => c.query.code ?? "")).toEqual([
      "empty_field",
      "duplicate",
    ]);
  });

  it("searches the datasets list and shows archived ones on request", async () => {
    startSession(tokenPair(1));
    const active = [
      dataset({ id: "0d5f7c1e-0000-4000-8000-0000000000a1", name: "Support answers", description: "March tickets" }),
      dataset({ id: "0d5f7c1e-0000-4000-8000-0000000000a2", name: "Identity" }),
    ];
    const archived = dataset({ id: "0d5f7c1e-0000-4000-8000-0000000000a3", name: "Old support export", archived: true });
    const fake = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET ${base}`]: (call) => json(call.query.archived === "true" ? [...active, archived] : active),
    });
    const { user } = renderApp("/datasets");
    const names = () => screen.getAllByRole("link").filter((a) => a.getAttribute("href")?.startsWith("/datasets/")).map((a) => a.textContent);
    await screen.findByRole("link", { name: "Identity" });
    expect(names()).toEqual(["Support answers", "Identity"]);

    await user.type(screen.getByLabelText("Search datasets"), "support");
    expect(names()).toEqual(["Support answers"]);
    await user.clear(screen.getByLabelText("Search datasets"));
    await user.type(screen.getByLabelText("Search datasets"), "march");
    expect(names()).toEqual(["Support answers"]);
    await user.clear(screen.getByLabelText("Search datasets"));
    await user.type(screen.getByLabelText("Search datasets"), "nothing like it");
    expect(screen.getByText("No dataset matches “nothing like it”.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Search datasets"));

    await user.click(screen.getByLabelText("Show archived"));
    await screen.findByRole("link", { name: "Old support export" });
    expect(names()).toEqual(["Support answers", "Identity", "Old support export"]);
    const row = screen.getByRole("link", { name: "Old support export" }).closest("tr")!;
    expect(within(row).getByText("Archived")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Search datasets"), "support");
    expect(names()).toEqual(["Support answers", "Old support export"]);
    expect(fake.callsTo("GET", base).map((c) => c.query.archived ?? "")).toEqual(["", "true"]);
  });

  it("renames, archives and deletes a dataset, showing why a delete is refused", async () => {
    startSession(tokenPair(1));
    const v1 = version(1);
    let refuse = true;
    const { fake, current } = fakeDataset([v1], {
      [`PATCH ${base}/${datasetId}`]: (call) => {
        current.dataset = { ...current.dataset, ...(call.body as object), updated_at: new Date().toISOString() };
        return json(current.dataset);
      },
      [`DELETE ${base}/${datasetId}`]: () =>
        refuse
          ? apiError(409, "Conflict", "'Support answers' is used by job 'sft-1' (running), so it cannot be deleted. Delete those jobs first, or archive the dataset to hide it.")
          : noContent(),
    });
    const { user } = renderApp(`/datasets/${datasetId}`);
    await user.click(await screen.findByRole("button", { name: "Rename or describe" }));
    await user.clear(screen.getByLabelText("Name"));
    await user.type(screen.getByLabelText("Name"), "Support v2");
    await user.type(screen.getByLabelText("Description"), "Answers from March");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("heading", { name: "Support v2", level: 1 })).toBeInTheDocument();
    expect(screen.getByText("Answers from March")).toBeInTheDocument();
    expect(fake.callsTo("PATCH", `${base}/${datasetId}`)[0].body).toEqual({ name: "Support v2", description: "Answers from March" });

    await user.click(screen.getByRole("button", { name: "Archive" }));
    expect(await screen.findByText(/This dataset is archived/)).toBeInTheDocument();
    expect(fake.callsTo("PATCH", `${base}/${datasetId}`)[1].body).toEqual({ archived: true });
    await user.click(screen.getByRole("button", { name: "Unarchive" }));
    expect(await screen.findByRole("button", { name: "Archive" })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Delete…" }));
    await user.click(screen.getByRole("button", { name: "Delete permanently" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("is used by job 'sft-1' (running), so it cannot be deleted.");
    refuse = false;
    await user.click(screen.getByRole("button", { name: "Delete permanently" }));
    expect(await screen.findByRole("heading", { name: "Datasets", level: 1 })).toBeInTheDocument();
  });

  it("fills placeholders left in the rows as a new version", async () => {
    startSession(tokenPair(1));
    const v1 = version(1, {
      kind: "chat",
      stats: { rows: 45, valid_rows: 45, rows_with_errors: 0, placeholders: { name: 42, author: 3 } },
      issues_summary: { errors: 0, warnings: 44, infos: 0, by_code: { placeholders: 2, placeholder: 42 }, truncated: false },
    });
    const v2 = version(2, { operation: "fill", kind: "chat", options: { change: "Filled {{name}} with 'Ada' in 42 rows of v1" } });
    const versions = [v1];
    const { fake } = fakeDataset([v1, v2], {
      [`GET ${base}/${datasetId}/versions`]: () => json(versions),
      [`POST ${base}/${datasetId}/versions/${v1.id}/fill-placeholders`]: () => {
        versions.unshift(v2);
        return json({ dataset: dataset({ versions: 2, latest_version: v2 }), version: v2, created: true }, 201);
      },
    });
    const { user } = renderApp(`/datasets/${datasetId}`);
    expect(await screen.findByLabelText("Value for {{name}}")).toBeInTheDocument();
    expect(screen.getByText("In 42 rows.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Fill placeholders" }));
    expect(screen.getByText("Give a value for at least one placeholder.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Value for {{name}}"), "Ada");
    await user.click(screen.getByRole("button", { name: "Fill placeholders" }));
    expect(await screen.findByRole("heading", { name: "Version 2" })).toBeInTheDocument();
    expect(fake.callsTo("POST", `${base}/${datasetId}/versions/${v1.id}/fill-placeholders`)[0].body).toEqual({
      values: { name: "Ada" },
      notes: "",
    });
    expect(screen.getByText("Filled {{name}} with 'Ada' in 42 rows of v1")).toBeInTheDocument();
  });
});
