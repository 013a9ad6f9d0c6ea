import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { DatasetRead, VersionRead } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const teamId = alice.teams[0].id;
const base = `/api/teams/${teamId}/datasets`;
const datasetId = "0d5f7c1e-0000-4000-8000-000000000009";

function version(number: number, mapped: boolean): VersionRead {
  return {
    id: `0d5f7c1e-0000-4000-8000-00000000020${number}`,
    dataset_id: datasetId,
    number,
    sha256: "ab".repeat(32),
    parent_id: null,
    operation: mapped ? "mapping" : "upload",
    notes: "",
    author_id: alice.id,
    created_at: "2026-11-22T01:00:00Z",
    kind: mapped ? "prompt_completion" : null,
    mapping: mapped ? { format: "prompt_completion", columns: { prompt: "question_text", completion: "answer_text" } } : null,
    detection: {
      candidates: [],
      columns: ["question_text", "answer_text", "id"],
      ambiguous: false,
      message: "could not recognise the columns (question_text, answer_text, id). Choose a mapping",
    },
    stats: { rows: 5 },
    issues_summary: { errors: mapped ? 0 : 1, warnings: 0, infos: 0, by_code: {}, truncated: false },
    split: null,
    splits: ["rows"],
    sources: [{ name: "odd.csv", size: 120, sha256: "abc" }],
    options: {},
    rows: mapped ? 5 : 0,
    size_bytes: 120,
    status: mapped ? "usable" : "has_errors",
    usable: mapped,
  } as VersionRead;
}

function dataset(versions: VersionRead[]): DatasetRead {
  return {
    id: datasetId, team_id: teamId, name: "Odd columns", description: "", created_by: alice.id,
    created_at: "2026-11-22T01:00:00Z", updated_at: "2026-11-22T01:00:00Z", archived: false,
    versions: versions.length, latest_version: versions[0],
  };
}

const formats = [
  { name: "prompt_completion", kind: "prompt_completion", title: "Prompt/completion",
    required: { prompt: ["prompt", "input", "query"], completion: ["completion", "response", "output"] }, optional: {} },
  { name: "alpaca", kind: "prompt_completion", title: "Alpaca (instruction/input/output)",
    required: { instruction: ["instruction"], output: ["output"] }, optional: { input: ["input"] } },
];

/** A dataset holding `first`; re-reading it (POST …/mapping) adds `next` as the newest version. */
function fakeDatasetApi(first: VersionRead, next: VersionRead) {
  const versions = [first];
  const noRows = (v: VersionRead) => ({
    [`GET ${base}/${datasetId}/versions/${v.id}/issues`]: () => json({ items: [], total: 0, offset: 0, limit: 50, summary: v.issues_summary }),
    [`GET ${base}/${datasetId}/versions/${v.id}/rows`]: () => json({ items: [], total: 0, offset: 0, limit: 20, split: "rows" }),
  });
  return installFakeApi({
    "GET /api/auth/me": () => json(alice),
    "GET /api/dataset-formats": () => json(formats),
    [`GET ${base}/${datasetId}`]: () => json(dataset(versions)),
    [`GET ${base}/${datasetId}/versions`]: () => json(versions),
    ...noRows(first),
    ...noRows(next),
    [`POST ${base}/${datasetId}/versions/${first.id}/mapping`]: () => {
      versions.unshift(next);
      return json({ dataset: dataset(versions), version: next, created: true }, 201);
    },
  });
}

describe("column mapping", () => {
  it("maps unrecognised columns by hand into a new, usable version", async () => {
    startSession(tokenPair(1));
    const api = fakeDatasetApi(version(1, false), version(2, true));
    const { user } = renderApp(`/datasets/${datasetId}`);

    expect(await screen.findByText("The files have the columns question_text, answer_text, id.")).toBeInTheDocument();
    const reread = screen.getByRole("button", { name: "Re-read with this mapping" });
    expect(reread).toBeDisabled();
    expect(screen.getByText("Choose a column for prompt and completion.")).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Column for prompt"), "question_text");
    await user.selectOptions(screen.getByLabelText("Column for completion"), "question_text");
    expect(screen.getByText("“question_text” is chosen twice; each slot needs its own column.")).toBeInTheDocument();
    expect(reread).toBeDisabled();

    // Another format shows its own slots, optional ones included; coming back keeps the choices.
    await user.selectOptions(screen.getByLabelText("Format"), "alpaca");
    expect(screen.getByLabelText("Column for input (optional)")).toHaveValue("");
    await user.selectOptions(screen.getByLabelText("Format"), "prompt_completion");
    expect(screen.getByLabelText("Column for prompt")).toHaveValue("question_text");

    await user.selectOptions(screen.getByLabelText("Column for completion"), "answer_text");
    await user.click(reread);
    expect(await screen.findByRole("heading", { name: "Version 2" })).toBeInTheDocument();
    expect(api.callsTo("POST", `${base}/${datasetId}/versions/${version(1, false).id}/mapping`)[0]!.body).toEqual({
      mapping: { format: "prompt_completion", columns: { prompt: "question_text", completion: "answer_text" } },
      notes: "",
    });
    // The new version is read that way already: nothing to re-read.
    expect(screen.getByText("This is how the version is read now.")).toBeInTheDocument();
  });

  it("reads markdown uploads as chat transcripts with the speakers' labels", async () => {
    startSession(tokenPair(1));
    const doc = {
      ...version(1, false),
      kind: "text",
      mapping: { kind: "text", format: "documents", columns: {} },
      detection: { candidates: [], columns: [], ambiguous: false, message: "" },
      sources: [{ name: "chats.md", size: 300, sha256: "abc" }],
      status: "usable",
      usable: true,
    } as VersionRead;
    const chats = { ...version(2, true), kind: "chat", sources: doc.sources, operation: "mapping",
      mapping: { kind: "chat", format: "markdown_chat", columns: { messages: "messages" } },
      options: { participants: { user: ["**Me:**"], assistant: [{ regex: "^Bot\\d*:" }] }, conversation_separator: "---" },
      detection: { candidates: [], columns: [], ambiguous: false, message: "" } } as VersionRead;
    const api = fakeDatasetApi(doc, chats);
    const { user } = renderApp(`/datasets/${datasetId}`);

    expect(await screen.findByRole("heading", { name: "Read as chat transcripts" })).toBeInTheDocument();
    expect(screen.queryByText(/The files have the columns/)).not.toBeInTheDocument(); // documents have no columns
    await user.type(screen.getByLabelText("User turns start with"), "**Me:**");
    await user.click(screen.getByRole("button", { name: "Read as transcripts" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Give at least one pattern for the user and one for the assistant.");
    expect(api.callsTo("POST", `${base}/${datasetId}/versions/${doc.id}/mapping`)).toHaveLength(0);

    await user.type(screen.getByLabelText("Assistant turns start with"), "/^Bot\\d*:/");
    await user.type(screen.getByLabelText("Conversation separator (optional)"), "---");
    await user.click(screen.getByRole("button", { name: "Read as transcripts" }));
    expect(await screen.findByRole("heading", { name: "Version 2" })).toBeInTheDocument();
    expect(api.callsTo("POST", `${base}/${datasetId}/versions/${doc.id}/mapping`)[0]!.body).toEqual({
      options: { participants: { user: ["**Me:**"], assistant: [{ regex: "^Bot\\d*:" }] }, conversation_separator: "---" },
      notes: "",
    });
    // The new version's form starts from the labels it was read with.
    expect(screen.getByLabelText("Assistant turns start with")).toHaveValue("/^Bot\\d*:/");
  });
});
