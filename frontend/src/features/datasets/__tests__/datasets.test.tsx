import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { DatasetRead, IssueRead, VersionRead } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const teamId = alice.teams[0].id;
const base = `/api/teams/${teamId}/datasets`;
const datasetId = "0d5f7c1e-0000-4000-8000-000000000001";

const emptyTurn: IssueRead = {
  severity: "error",
  code: "empty_turn",
  message: "row 2: the assistant turn is empty",
  hint: "Fill it in, or use 'Drop invalid rows' to make a version without this row.",
  row: 2,
  file: "chat.jsonl",
  line: 2,
  column: null,
  field: "messages",
};

function version(number: number, status: "usable" | "has_errors"): VersionRead {
  return {
    id: `0d5f7c1e-0000-4000-8000-00000000010${number}`,
    dataset_id: datasetId,
    number,
    sha256: "828d53fbc9acb4dbb03188fdd6040845a463f73a01601fd710525ca48d54e3b3",
    parent_id: null,
    operation: number === 1 ? "upload" : "drop_invalid",
    notes: number === 1 ? "first export" : "",
    author_id: alice.id,
    created_at: "2026-11-22T01:00:00Z",
    kind: "chat",
    mapping: null,
    detection: { title: "OpenAI chat messages (role/content)", ambiguous: false, message: "" },
    stats: { rows: 2, valid_rows: status === "usable" ? 2 : 1, rows_with_errors: status === "usable" ? 0 : 1, duplicates: 0 },
    issues_summary: { errors: status === "usable" ? 0 : 1, warnings: 0, infos: 0, by_code: {}, truncated: false },
    split: null,
    splits: ["rows"],
    sources: [{ name: "chat.jsonl", size: 261, sha256: "abc" }],
    options: number === 1 ? {} : { change: "Dropped 1 invalid rows from v1" },
    rows: status === "usable" ? 1 : 2,
    size_bytes: 287,
    status,
    usable: status === "usable",
  } as VersionRead;
}

function dataset(latest: VersionRead, versions: number): DatasetRead {
  return {
    id: datasetId,
    team_id: teamId,
    name: "Support chats",
    description: "",
    created_by: alice.id,
    created_at: "2026-11-22T01:00:00Z",
    updated_at: "2026-11-22T01:00:00Z",
    archived: false,
    versions,
    latest_version: latest,
  };
}

function splitVersion(): VersionRead {
  return {
    ...version(3, "usable"),
    operation: "split",
    splits: ["train", "validation", "test"],
    split: { counts: { train: 8, validation: 1, test: 1 }, seed: 7 },
  } as VersionRead;
}

/** A fake datasets API holding one dataset after the upload. */
function fakeDatasetsApi() {
  const versions: VersionRead[] = [];
  let releaseUpload: () => void = () => {};
  const uploadReceived = new Promise<void>((resolve) => (releaseUpload = resolve));
  let uploadGate: Promise<void> = Promise.resolve();
  const versionRoutes = (v: VersionRead) => ({
    [`GET ${base}/${datasetId}/versions/${v.id}/issues`]: () =>
      json({ items: v.status === "usable" ? [] : [emptyTurn], total: v.status === "usable" ? 0 : 1, offset: 0, limit: 50, summary: v.issues_summary }),
    [`GET ${base}/${datasetId}/versions/${v.id}/rows`]: () =>
      json({
        items: [
          { row: 1, normalized: { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }] }, raw: { conversations: [{ from: "human", value: "hi" }, { from: "gpt", value: "hello" }] }, invalid: false, issues: [] },
          ...(v.status === "usable"
            ? []
            : [{ row: 2, normalized: { messages: [{ role: "user", content: "2+2?" }, { role: "assistant", content: "" }] }, raw: null, invalid: false, issues: [emptyTurn] }]),
        ],
        total: v.rows,
        offset: 0,
        limit: 20,
        split: "rows",
      }),
  });
  const fake = installFakeApi({
    "GET /api/auth/me": () => json(alice),
    [`GET ${base}`]: () => json(versions.length ? [dataset(versions[0], versions.length)] : []),
    [`POST ${base}`]: async () => {
      releaseUpload();
      await uploadGate;
      versions.unshift(version(1, "has_errors"));
      return json({ dataset: dataset(versions[0], 1), version: versions[0], created: true }, 201);
    },
    [`GET ${base}/${datasetId}`]: () => json(dataset(versions[0], versions.length)),
    [`GET ${base}/${datasetId}/versions`]: () => json(versions),
    ...versionRoutes(version(1, "has_errors")),
    ...versionRoutes(version(2, "usable")),
    ...versionRoutes(splitVersion()),
    [`POST ${base}/${datasetId}/versions/${version(2, "usable").id}/split`]: () => {
      versions.unshift(splitVersion());
      return json({ dataset: dataset(versions[0], 3), version: versions[0], created: true }, 201);
    },
    [`GET ${base}/${datasetId}/versions/${version(2, "usable").id}/rows/1/rendered`]: () =>
      json({
        row: 1,
        split: "rows",
        base_model: "tiny-llama",
        max_length: 2048,
        kind: "chat",
        segments: [
          {
            label: "conversation",
            text: "user: hi assistant: hello",
            tokens: [
              { id: 1, text: "user: hi ", trained: false },
              { id: 2, text: "hello", trained: true },
            ],
            total_tokens: 2,
            trained_tokens: 1,
            truncated: false,
          },
        ],
      }),
    [`POST ${base}/${datasetId}/versions/${version(1, "has_errors").id}/drop-invalid`]: () => {
      versions.unshift(version(2, "usable"));
      return json({ dataset: dataset(versions[0], 2), version: versions[0], created: true }, 201);
    },
  });
  return {
    fake,
    uploadReceived,
    holdUpload: () => {
      let release: () => void = () => {};
      uploadGate = new Promise((resolve) => (release = resolve));
      return () => release();
    },
  };
}

describe("datasets", () => {
  it("say what can be uploaded when there are none yet", async () => {
    startSession(tokenPair(1));
    fakeDatasetsApi();
    renderApp("/datasets");
    expect(
      await screen.findByText("Upload JSONL, CSV, Parquet, text or Markdown; TuneForge validates, versions and previews them."),
    ).toBeInTheDocument();
  });

  it("upload with a progress bar, then show the version's issues and preview", async () => {
    startSession(tokenPair(1));
    const { fake, uploadReceived, holdUpload } = fakeDatasetsApi();
    const { user } = renderApp("/datasets");
    const release = holdUpload();

    const file = new File(['{"messages": []}\n'], "chat.jsonl", { type: "application/jsonl" });
    await user.upload(await screen.findByLabelText("Files"), file);
    await user.type(screen.getByLabelText("Dataset name"), "Support chats");
    await user.type(screen.getByLabelText("Version notes"), "first export");
    await user.selectOptions(screen.getByLabelText("Count tokens with"), "SmolLM2-135M-Instruct");
    await user.clear(screen.getByLabelText("Flag rows longer than (tokens)"));
    await user.type(screen.getByLabelText("Flag rows longer than (tokens)"), "8");
    expect(screen.getByText("A whole number of tokens from 16 to 131072.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Flag rows longer than (tokens)"), "192");
    await user.click(screen.getByRole("button", { name: "Upload dataset" }));

    // Every byte sent, the server still reading the rows.
    await uploadReceived;
    expect(await screen.findByText(/Analysing…/)).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "100");
    release();

    expect(await screen.findByRole("heading", { name: "Support chats", level: 1 })).toBeInTheDocument();
    const [upload] = fake.callsTo("POST", base);
    expect(upload.body).toEqual({
      files: [{ name: "chat.jsonl", size: file.size }],
      name: ["Support chats"],
      notes: ["first export"],
      options: [JSON.stringify({ base_model: "SmolLM2-135M-Instruct", max_length: 8192 })],
    });
    expect(upload.authorization).toBe("Bearer access-1");

    const issues = within((await screen.findByRole("heading", { name: "Issues" })).closest("section")!);
    expect(await issues.findByText("row 2: the assistant turn is empty")).toBeInTheDocument();
    const preview = within(screen.getByRole("heading", { name: "Preview" }).closest("section")!);
    // Rows are compact lines that open on click.
    const row2Toggle = await preview.findByRole("button", { name: /^Row 2/ });
    expect(row2Toggle).toHaveTextContent("user: 2+2? · assistant:");
    expect(row2Toggle).toHaveTextContent("1 error");
    expect(preview.queryByText("(empty)")).not.toBeInTheDocument();
    await user.click(row2Toggle);
    expect(preview.getByText("(empty)")).toBeInTheDocument();
    await user.click(preview.getByRole("button", { name: /^Row 1/ }));
    expect(preview.getByRole("button", { name: /^Row 1/ })).toHaveAttribute("aria-expanded", "true");
    expect(preview.getByText("hello")).toBeInTheDocument();
    // Raw and normalised side by side: the ShareGPT row as uploaded next to the chat it became.
    const row1 = within(preview.getByRole("listitem", { name: "Row 1" }));
    expect(row1.getByText("As uploaded")).toBeInTheDocument();
    expect(row1.getByText(/"from": "gpt"/)).toBeInTheDocument();
    expect(row1.getByText("Normalised")).toBeInTheDocument();
  });

  it("take dropped files, naming the ones it cannot read", async () => {
    startSession(tokenPair(1));
    const { fake } = fakeDatasetsApi();
    const { user } = renderApp("/datasets");
    const zone = await screen.findByTestId("drop-zone");
    const chat = new File(['{"messages": []}\n'], "chat.jsonl");
    const more = new File(["a,b\n1,2\n"], "more.csv");
    const pdf = new File(["%PDF"], "paper.pdf");
    fireEvent.dragOver(zone, { dataTransfer: { files: [chat] } });
    expect(zone.className).toContain("border-indigo-500");
    fireEvent.drop(zone, { dataTransfer: { files: [chat, pdf, more] } });
    expect(screen.getByText(/Selected: chat.jsonl, more.csv/)).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent(
      "paper.pdf: PDF files can't be read; upload JSONL, JSON, CSV/TSV, Parquet, text, Markdown or a zip of them",
    );

    await user.click(screen.getByRole("button", { name: "Upload dataset" }));
    expect(await screen.findByRole("heading", { name: "Version 1" })).toBeInTheDocument();
    const sent = fake.calls.find((c) => c.method === "POST" && c.path === base)!.body as { files: { name: string }[] };
    expect(sent.files.map((f) => f.name)).toEqual(["chat.jsonl", "more.csv"]);
  });

  it("make a version without the invalid rows", async () => {
    startSession(tokenPair(1));
    const { fake } = fakeDatasetsApi();
    const { user } = renderApp("/datasets");
    await user.upload(await screen.findByLabelText("Files"), new File(["x"], "chat.jsonl"));
    await user.click(screen.getByRole("button", { name: "Upload dataset" }));
    expect(await screen.findByRole("heading", { name: "Version 1" })).toBeInTheDocument();

    await user.click(screen.getByLabelText("Also drop duplicate rows"));
    await user.click(screen.getByRole("button", { name: "Drop invalid rows" }));

    expect(await screen.findByRole("heading", { name: "Version 2" })).toBeInTheDocument();
    expect(fake.calls.find((c) => c.path.endsWith("/drop-invalid"))?.body).toEqual({
      drop_duplicates: true,
      drop_over_length: false,
      notes: "",
    });
    const history = within(screen.getByRole("navigation", { name: "Versions" }));
    expect(history.getAllByRole("link").map((link) => link.textContent)).toEqual([
      expect.stringContaining("Version 2"),
      expect.stringContaining("Version 1"),
    ]);
    expect(history.getByText("Dropped 1 invalid rows from v1")).toBeInTheDocument();
    expect(await screen.findByText("No issues found.")).toBeInTheDocument();
  });

  it("split a clean version, checking the percentages first", async () => {
    startSession(tokenPair(1));
    const { fake } = fakeDatasetsApi();
    const { user } = renderApp("/datasets");
    await user.upload(await screen.findByLabelText("Files"), new File(["x"], "chat.jsonl"));
    await user.click(screen.getByRole("button", { name: "Upload dataset" }));
    await user.click(await screen.findByRole("button", { name: "Drop invalid rows" }));
    expect(await screen.findByRole("heading", { name: "Version 2" })).toBeInTheDocument();

    await user.clear(screen.getByLabelText("Validation %"));
    await user.type(screen.getByLabelText("Validation %"), "20");
    await user.click(screen.getByRole("button", { name: "Split into train, validation and test" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The percentages add up to 110%; make them add up to 100%.");
    expect(fake.calls.filter((c) => c.path.endsWith("/split"))).toHaveLength(0);

    await user.clear(screen.getByLabelText("Train %"));
    await user.type(screen.getByLabelText("Train %"), "70");
    await user.clear(screen.getByLabelText("Seed"));
    await user.type(screen.getByLabelText("Seed"), "7");
    await user.click(screen.getByRole("button", { name: "Split into train, validation and test" }));

    expect(await screen.findByRole("heading", { name: "Version 3" })).toBeInTheDocument();
    expect(fake.calls.find((c) => c.path.endsWith("/split"))?.body).toEqual({
      train: 0.7,
      validation: 0.2,
      test: 0.1,
      seed: 7,
      notes: "",
    });
    expect(screen.getByText("train 8, validation 1, test 1 (seed 7)")).toBeInTheDocument();
    expect(screen.getByLabelText("Split")).toHaveValue("train");
  });

  it("show which tokens of a row are trained on", async () => {
    startSession(tokenPair(1));
    const { fake } = fakeDatasetsApi();
    const { user } = renderApp("/datasets");
    await user.upload(await screen.findByLabelText("Files"), new File(["x"], "chat.jsonl"));
    await user.click(screen.getByRole("button", { name: "Upload dataset" }));
    await user.click(await screen.findByRole("button", { name: "Drop invalid rows" }));
    expect(await screen.findByRole("heading", { name: "Version 2" })).toBeInTheDocument();
    await user.click(await screen.findByRole("button", { name: /^Row 1/ }));
    await user.click(await screen.findByRole("button", { name: "Show tokens for row 1" }));

    expect(await screen.findByText("conversation: 1 of 2 tokens trained")).toBeInTheDocument();
    const trained = screen.getAllByText("hello").find((el) => el.tagName === "MARK");
    expect(trained).toBeDefined();
    expect(screen.getByText("user: hi").tagName).toBe("SPAN");
    expect(screen.getByRole("button", { name: "Hide tokens for row 1" })).toHaveAttribute("aria-expanded", "true");
    const rendered = () => fake.calls.filter((c) => c.path.endsWith("/rows/1/rendered")).map((c) => c.query.base_model);
    expect(rendered()).toEqual(["tiny-llama"]);
    await user.selectOptions(screen.getByLabelText("Render with"), "SmolLM2-135M-Instruct");
    await screen.findByText("conversation: 1 of 2 tokens trained");
    expect(rendered()).toEqual(["tiny-llama", "SmolLM2-135M-Instruct"]);
  });
});
