import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ModelVersionRead, PublicationRead, PublishingOptions } from "@/lib/api/types";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, noContent, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const modelId = "6a1c0000-0000-4000-8000-000000000001";
const v2 = "6a1c0000-0000-4000-8000-000000000102";
const pubId = "7b2d0000-0000-4000-8000-000000000001";
const hubPubId = "7b2d0000-0000-4000-8000-000000000002";
const sha = "3f5c2a9d81b04e6f7a1c2d3e4f5061728394a5b6c7d8e9f00112233445566778";

function version(spec: Record<string, unknown> = { method: "sft", adapter: "lora" }): ModelVersionRead {
  return {
    id: v2,
    model_id: modelId,
    model_name: "support-bot",
    number: 2,
    created_at: "2026-11-22T01:00:00Z",
    archived: false,
    tags: [],
    job_id: null,
    base_model: "tiny-llama",
    notes: "",
    reference: `version:${v2}`,
    files_missing: false,
    used_by: [],
    lineage: { recorded: "at_finish", base_model: { reference: "tiny-llama", kind: "bundled" }, spec },
  } as ModelVersionRead;
}

const options: PublishingOptions = {
  ollama_urls: ["http://localhost:11434", "http://gpu-box:11434"],
  gguf_types: ["f32", "f16", "bf16", "q8_0", "tq1_0", "tq2_0"],
  hub_token: true,
  hub_username: "alice-hf",
  worker_note: null,
};

function publication(overrides: Partial<PublicationRead> = {}): PublicationRead {
  return {
    id: pubId,
    version_id: v2,
    target: "ollama",
    options: { target: "ollama", url: "http://localhost:11434", name: "support-bot:v2", quant_type: "q8_0", system: null },
    status: "queued",
    progress: { phase: "queued", message: "waiting for a worker" },
    link: null,
    files: [],
    verification: null,
    merge_check: null,
    result: {},
    error: null,
    credential: null,
    user_name: "Alice Martin",
    worker_name: null,
    created_at: "2026-11-22T02:00:00Z",
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

const ggufFile = {
  name: "support-bot-q8_0.gguf",
  quant_type: "q8_0",
  size_bytes: 151_834_624,
  sha256: sha,
  download_url: `/api/publications/${pubId}/files/support-bot-q8_0.gguf`,
};
const modelfile = {
  name: "Modelfile",
  quant_type: null,
  size_bytes: 412,
  sha256: "a".repeat(64),
  download_url: `/api/publications/${pubId}/files/Modelfile`,
};

/** The fake API of a version page: the version, the publishing options and a history that POSTs add to. */
function fakePublishingApi({
  opts = options,
  spec,
  history = [],
  onPost,
}: {
  opts?: PublishingOptions;
  spec?: Record<string, unknown>;
  history?: PublicationRead[];
  onPost?: (body: unknown) => Response;
} = {}) {
  let stored = [...history];
  const api = installFakeApi({
    "GET /api/auth/me": () => json(alice),
    [`GET /api/model-versions/${v2}`]: () => json(version(spec)),
    "GET /api/publishing/options": () => json(opts),
    [`GET /api/model-versions/${v2}/publications`]: () => json(stored),
    [`POST /api/model-versions/${v2}/publications`]: (call) => {
      if (onPost) return onPost(call.body);
      const body = call.body as { target: PublicationRead["target"] };
      const created = publication({ id: "7b2d0000-0000-4000-8000-0000000000ff", target: body.target, options: body as Record<string, unknown> });
      stored = [created, ...stored];
      return json(created, 201);
    },
    [`GET /api/publications/7b2d0000-0000-4000-8000-0000000000ff`]: () => json(stored[0]),
  });
  return api;
}

async function openDialog() {
  startSession(tokenPair(1));
  const view = renderApp(`/models/versions/${v2}`);
  await view.user.click(await screen.findByRole("button", { name: "Publish" }));
  const dialog = await screen.findByRole("dialog", { name: "Publish support-bot v2" });
  await within(dialog).findByRole("button", { name: "Start publishing" });
  return { ...view, dialog };
}

describe("the publish dialog", () => {
  it("publishes to the Hub under the token's user, private, adapter only, and the publication appears in the history", async () => {
    const api = fakePublishingApi();
    const { user, dialog } = await openDialog();

    expect(within(dialog).getByLabelText("Hugging Face Hub")).toBeChecked();
    expect(within(dialog).getByLabelText("Repository")).toHaveValue("alice-hf/support-bot-v2");
    expect(within(dialog).getByLabelText("Private repository")).toBeChecked();
    expect(within(dialog).getByLabelText("Adapter only")).toBeChecked();
    expect(within(dialog).getByLabelText("Merged weights")).not.toBeChecked();
    await user.click(within(dialog).getByRole("button", { name: "Start publishing" }));

    await waitFor(() => expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)).toHaveLength(1));
    expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)[0]!.body).toEqual({
      target: "hub",
      repo_id: "alice-hf/support-bot-v2",
      private: true,
      weights: "adapter",
    });
    expect(await screen.findByText("Publishing to Hugging Face Hub started: follow it below.")).toHaveAttribute("role", "status");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    const list = screen.getByRole("list", { name: "Publications" });
    const row = within(list).getByRole("listitem", { name: /^Hugging Face Hub/ });
    expect(row).toHaveTextContent("waiting for a worker");
    expect(row).toHaveTextContent("by Alice Martin");
    expect(within(row).getByRole("progressbar")).toBeInTheDocument();
  });

  it("publishes to Ollama with its defaults: the first server, <model>:v<N>, q8_0, no system prompt", async () => {
    const api = fakePublishingApi();
    const { user, dialog } = await openDialog();

    await user.click(within(dialog).getByLabelText("Ollama"));
    expect(within(dialog).getByLabelText("Ollama server")).toHaveValue("http://localhost:11434");
    expect(within(dialog).getByLabelText("Model name")).toHaveValue("support-bot:v2");
    expect(within(dialog).getByLabelText("Quantisation")).toHaveValue("q8_0");
    expect(within(dialog).getByLabelText("System prompt (optional)")).toHaveValue("");
    await user.click(within(dialog).getByRole("button", { name: "Start publishing" }));

    await waitFor(() => expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)).toHaveLength(1));
    expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)[0]!.body).toEqual({
      target: "ollama",
      url: "http://localhost:11434",
      name: "support-bot:v2",
      quant_type: "q8_0",
    });
    expect(await screen.findByRole("listitem", { name: /^Ollama/ })).toBeInTheDocument();
  });

  it("sends the Ollama server, name and system prompt picked, and says what is wrong with a bad name", async () => {
    const api = fakePublishingApi();
    const { user, dialog } = await openDialog();

    await user.click(within(dialog).getByLabelText("Ollama"));
    await user.selectOptions(within(dialog).getByLabelText("Ollama server"), "http://gpu-box:11434");
    await user.selectOptions(within(dialog).getByLabelText("Quantisation"), "f16");
    const name = within(dialog).getByLabelText("Model name");
    await user.clear(name);
    await user.type(name, "Support Bot");
    await user.click(within(dialog).getByRole("button", { name: "Start publishing" }));
    expect(within(dialog).getByText(/Use lower-case letters/)).toBeInTheDocument();
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)).toHaveLength(0);

    await user.clear(name);
    await user.type(name, "support-bot:prod");
    await user.type(within(dialog).getByLabelText("System prompt (optional)"), "You answer support questions.");
    await user.click(within(dialog).getByRole("button", { name: "Start publishing" }));
    await waitFor(() => expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)).toHaveLength(1));
    expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)[0]!.body).toEqual({
      target: "ollama",
      url: "http://gpu-box:11434",
      name: "support-bot:prod",
      quant_type: "f16",
      system: "You answer support questions.",
    });
  });

  it("exports the GGUF types checked, f16 and q8_0 by default", async () => {
    const api = fakePublishingApi();
    const { user, dialog } = await openDialog();

    await user.click(within(dialog).getByLabelText("GGUF file"));
    const types = within(dialog).getByRole("group", { name: "GGUF types" });
    expect(within(types).getAllByRole("checkbox").filter((c) => (c as HTMLInputElement).checked)).toHaveLength(2);
    expect(within(types).getByLabelText("f16")).toBeChecked();
    expect(within(types).getByLabelText("q8_0")).toBeChecked();
    expect(within(types).getByLabelText("f32")).not.toBeChecked();
    await user.click(within(types).getByLabelText("bf16"));
    await user.click(within(dialog).getByRole("button", { name: "Start publishing" }));

    await waitFor(() => expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)).toHaveLength(1));
    expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)[0]!.body).toEqual({
      target: "gguf",
      quant_types: ["f16", "bf16", "q8_0"],
    });
  });

  it("offers only merged weights for a full fine-tune", async () => {
    const api = fakePublishingApi({ spec: { method: "sft", adapter: "full" } });
    const { user, dialog } = await openDialog();

    expect(within(dialog).getByLabelText("Adapter only")).toBeDisabled();
    expect(within(dialog).getByText(/a full fine-tune has no adapter/)).toBeInTheDocument();
    expect(within(dialog).getByLabelText("Merged weights")).toBeChecked();
    await user.click(within(dialog).getByLabelText("Private repository"));
    await user.click(within(dialog).getByRole("button", { name: "Start publishing" }));
    await waitFor(() => expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)).toHaveLength(1));
    expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)[0]!.body).toEqual({
      target: "hub",
      repo_id: "alice-hf/support-bot-v2",
      private: false,
      weights: "merged",
    });
  });

  it("says up front that no worker can publish and no Hub token is saved, and does not publish", async () => {
    const api = fakePublishingApi({
      opts: {
        ...options,
        hub_token: false,
        hub_username: null,
        worker_note: "No worker is online to publish: start one with `tuneforge worker` (`make run` starts one), then publish again.",
      },
    });
    const { dialog } = await openDialog();

    expect(within(dialog).getByText(/No worker is online to publish/)).toBeInTheDocument();
    expect(within(dialog).getByText(/No Hugging Face token saved/)).toBeInTheDocument();
    expect(within(dialog).getByRole("link", { name: "Add it in Settings" })).toHaveAttribute("href", "/settings");
    expect(within(dialog).getByLabelText("Hugging Face Hub")).toBeDisabled();
    // Without a token the dialog starts on Ollama, but nothing can start without a worker.
    expect(within(dialog).getByLabelText("Ollama")).toBeChecked();
    expect(within(dialog).getByRole("button", { name: "Start publishing" })).toBeDisabled();
    expect(api.callsTo("POST", `/api/model-versions/${v2}/publications`)).toHaveLength(0);
  });

  it("shows the server's refusal in plain words, with a link to Settings when it names them", async () => {
    fakePublishingApi({
      onPost: () =>
        apiError(400, "BadRequest", "Publishing to the Hugging Face Hub needs your Hugging Face token with write access: add it in Settings, then publish again."),
    });
    const { user, dialog } = await openDialog();

    await user.click(within(dialog).getByRole("button", { name: "Start publishing" }));
    const alert = await within(dialog).findByRole("alert");
    expect(alert).toHaveTextContent("Not ready to publish.");
    expect(alert).toHaveTextContent("needs your Hugging Face token with write access: add it in Settings");
    expect(within(alert).getByRole("link", { name: "Open Settings" })).toHaveAttribute("href", "/settings");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
  });

  it("closes on Escape and gives the focus back to the Publish button", async () => {
    fakePublishingApi();
    const { user } = await openDialog();
    expect(screen.getByRole("heading", { name: "Publish support-bot v2" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Publish" })).toHaveFocus();
  });

  it("reads the options afresh each time it opens: a token saved since then makes the Hub, under its user, the default", async () => {
    const current: PublishingOptions = { ...options, hub_token: false, hub_username: null };
    const api = fakePublishingApi({ opts: current });
    const { user, dialog } = await openDialog();
    expect(within(dialog).getByLabelText("Ollama")).toBeChecked();
    await user.click(within(dialog).getByRole("button", { name: "Close" }));

    Object.assign(current, { hub_token: true, hub_username: "alice-hf" }); // saved in Settings meanwhile
    await user.click(screen.getByRole("button", { name: "Publish" }));
    const reopened = await screen.findByRole("dialog", { name: "Publish support-bot v2" });
    await within(reopened).findByRole("button", { name: "Start publishing" });
    expect(within(reopened).getByLabelText("Hugging Face Hub")).toBeChecked();
    expect(within(reopened).getByLabelText("Repository")).toHaveValue("alice-hf/support-bot-v2");
    expect(api.callsTo("GET", "/api/publishing/options")).toHaveLength(2);
  });
});

describe("the publishing history", () => {
  const hubDone = publication({
    id: hubPubId,
    target: "hub",
    options: { target: "hub", repo_id: "alice-hf/support-bot-v2", private: true, weights: "merged" },
    status: "succeeded",
    progress: { phase: "done", message: "published" },
    link: "https://huggingface.co/alice-hf/support-bot-v2",
    merge_check: { dtype: "float32", max_abs_logit_diff: 0.000312, tolerance: 0.001, ok: true },
    credential: "yours",
    worker_name: "gpu-box",
    created_at: "2026-11-21T09:00:00Z",
    started_at: "2026-11-21T09:00:01Z",
    finished_at: "2026-11-21T09:03:00Z",
  });

  it("follows a running publication's progress until it succeeds, then shows the check, the link and the files", async () => {
    let reads = 0;
    const running = publication({
      status: "running",
      worker_name: "gpu-box",
      started_at: "2026-11-22T02:00:01Z",
      progress: { phase: "converting", message: "converting to GGUF q8_0 with llama.cpp's converter", done: 0, total: 1 },
    });
    const succeeded = publication({
      status: "succeeded",
      worker_name: "gpu-box",
      progress: { phase: "done", message: "published" },
      link: "support-bot:v2 on http://localhost:11434",
      files: [ggufFile, modelfile],
      verification: { prompts: 8, agree: 8, passed: 8, same_start: 8, ended_on_stop: 8, ok: true, first_disagreement: null },
      merge_check: { dtype: "float32", max_abs_logit_diff: 3e-7, tolerance: 0.001, ok: true },
      finished_at: "2026-11-22T02:04:00Z",
    });
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/model-versions/${v2}`]: () => json(version()),
      [`GET /api/model-versions/${v2}/publications`]: () => json(reads >= 2 ? [succeeded, hubDone] : [running, hubDone]),
      [`GET /api/publications/${pubId}`]: () => {
        reads += 1;
        return json(reads >= 2 ? succeeded : { ...running, progress: { ...running.progress, phase: "verifying", message: "asking Ollama the check prompts" } });
      },
      [`GET /api/publications/${pubId}/files/support-bot-q8_0.gguf`]: () =>
        new Response("GGUF", { status: 200, headers: { "Content-Type": "application/octet-stream" } }),
    });
    const createObjectURL = vi.fn(() => "blob:gguf");
    // jsdom has no object URLs: the download hands the browser a blob link.
    vi.stubGlobal(
      "URL",
      class extends URL {
        static createObjectURL = createObjectURL;
        static revokeObjectURL = vi.fn();
      },
    );
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    startSession(tokenPair(1));
    const { user } = renderApp(`/models/versions/${v2}`);

    const list = await screen.findByRole("list", { name: "Publications" });
    const row = within(list).getByRole("listitem", { name: /^Ollama/ });
    expect(row).toHaveTextContent("publishing");
    expect(row).toHaveTextContent("Converting to GGUF q8_0 with llama.cpp's converter");
    const progress = within(row).getByRole("progressbar");
    expect(progress).toHaveAttribute("aria-valuenow", "0");
    expect(progress).toHaveAttribute("aria-valuemax", "1");
    expect(within(row).getByRole("button", { name: /^Cancel/ })).toBeInTheDocument();
    // Queued/running publications keep the version: it cannot be deleted meanwhile.
    expect(screen.getByText(/2 publications depend on this version/)).toBeInTheDocument();

    await waitFor(() => expect(row).toHaveTextContent("Asking Ollama the check prompts"), { timeout: 4000 });
    await waitFor(() => expect(row).toHaveTextContent("Verified: 8/8 prompts agree"), { timeout: 4000 });
    expect(within(row).queryByRole("progressbar")).not.toBeInTheDocument();
    expect(within(row).queryByRole("button", { name: /^Cancel/ })).not.toBeInTheDocument();
    expect(row).toHaveTextContent("published");
    expect(row).toHaveTextContent("On Ollama: support-bot:v2 on http://localhost:11434");
    expect(row).toHaveTextContent("ollama run support-bot:v2");
    expect(row).toHaveTextContent("Merge checked: merged logits within 3e-7 of base+adapter (allowed 0.001)");
    expect(row).toHaveTextContent("worker gpu-box");
    // The history was read again once the poll saw the end.
    expect(api.callsTo("GET", `/api/model-versions/${v2}/publications`).length).toBeGreaterThanOrEqual(2);

    const files = within(row).getByRole("list", { name: "Files" });
    const gguf = within(files).getAllByRole("listitem")[0]!;
    expect(gguf).toHaveTextContent("support-bot-q8_0.gguf · q8_0 · 145 MB");
    expect(within(gguf).getByTitle(sha)).toHaveTextContent("3f5c2a9d81b0…");
    await user.click(within(gguf).getByRole("button", { name: "Copy the sha256 of support-bot-q8_0.gguf" }));
    expect(await navigator.clipboard.readText()).toBe(sha);
    await user.click(within(gguf).getByRole("button", { name: "Download support-bot-q8_0.gguf" }));
    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    expect(api.callsTo("GET", `/api/publications/${pubId}/files/support-bot-q8_0.gguf`)).toHaveLength(1);
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    expect(within(files).getByRole("button", { name: "Download Modelfile" })).toBeInTheDocument();
    expect(files).toHaveTextContent("Modelfile · 412 B");

    const hub = within(list).getByRole("listitem", { name: /^Hugging Face Hub/ });
    expect(within(hub).getByRole("link", { name: /alice-hf\/support-bot-v2/ })).toHaveAttribute(
      "href",
      "https://huggingface.co/alice-hf/support-bot-v2",
    );
    expect(hub).toHaveTextContent("(private)");
    expect(hub).toHaveTextContent("Merge checked: merged logits within 0.00031 of base+adapter");
    expect(hub).toHaveTextContent("by Alice Martin with their Hugging Face token");
    // Finished: no more polling.
    const count = api.callsTo("GET", `/api/publications/${pubId}`).length;
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(api.callsTo("GET", `/api/publications/${pubId}`)).toHaveLength(count);
  });

  it("names the Hub repository and links it, and the upload's commit, when the link is the commit's page", async () => {
    const commit = "16c3298244eea111fa084f2cb0102e543d4a8734";
    const onCommit = publication({
      id: hubPubId,
      target: "hub",
      options: { target: "hub", repo_id: "alice-hf/support-bot-v2", private: true, weights: "adapter" },
      status: "succeeded",
      progress: { phase: "done", message: "published" },
      link: `https://huggingface.co/alice-hf/support-bot-v2/commit/${commit}`,
      result: { repo_id: "alice-hf/support-bot-v2", commit },
      credential: "yours",
    });
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/model-versions/${v2}`]: () => json(version()),
      [`GET /api/model-versions/${v2}/publications`]: () => json([onCommit]),
    });
    startSession(tokenPair(1));
    renderApp(`/models/versions/${v2}`);

    const row = await screen.findByRole("listitem", { name: /^Hugging Face Hub/ });
    expect(within(row).getByRole("link", { name: /^alice-hf\/support-bot-v2 ?\(opens in a new tab\)$/ })).toHaveAttribute(
      "href",
      "https://huggingface.co/alice-hf/support-bot-v2",
    );
    expect(within(row).getByRole("link", { name: /^commit 16c3298 ?\(opens in a new tab\)$/ })).toHaveAttribute(
      "href",
      `https://huggingface.co/alice-hf/support-bot-v2/commit/${commit}`,
    );
    expect(row).toHaveTextContent("On the Hub: alice-hf/support-bot-v2 (opens in a new tab) (private) · commit 16c3298");
  });

  it("shows a failed Ollama check's first disagreement side by side, and the error", async () => {
    const failed = publication({
      status: "failed",
      progress: { phase: "done", message: "check failed" },
      link: "support-bot:v2 on http://localhost:11434",
      files: [ggufFile, modelfile],
      verification: {
        prompts: 8,
        agree: 3,
        passed: 5,
        ok: false,
        first_disagreement: {
          prompt: "What is 2 plus 2?",
          tuneforge: "4",
          ollama: "2 plus 2 is 4. 2 plus 2 is 4. 2 plus 2 is",
          ollama_done_reason: "length",
        },
      },
      error:
        "The model was created on the Ollama server as support-bot:v2, but it does not answer like the trained model: 5 of 8 check prompts agree. The first disagreement is shown side by side; the template or stop tokens may not match training.",
    });
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/model-versions/${v2}`]: () => json(version()),
      [`GET /api/model-versions/${v2}/publications`]: () => json([failed]),
    });
    startSession(tokenPair(1));
    renderApp(`/models/versions/${v2}`);

    const row = await screen.findByRole("listitem", { name: /^Ollama/ });
    expect(row).toHaveTextContent("failed");
    expect(row).toHaveTextContent("Check failed: 5/8 prompts agree");
    expect(row).toHaveTextContent("3/8 identical word for word");
    const side = within(row).getByRole("figure", { name: "First disagreement" });
    expect(side).toHaveTextContent("Prompt: What is 2 plus 2?");
    const [ours, theirs] = [within(side).getByText("TuneForge's answer"), within(side).getByText("Ollama's answer")];
    expect(ours.parentElement).toHaveTextContent(/^TuneForge's answer4$/);
    expect(theirs.parentElement).toHaveTextContent("2 plus 2 is 4. 2 plus 2 is 4. 2 plus 2 is");
    expect(side).toHaveTextContent("ran on to the length limit");
    expect(row).toHaveTextContent("Publishing failed");
    expect(row).toHaveTextContent("does not answer like the trained model: 5 of 8 check prompts agree");
    // A failed publication does not keep the version.
    expect(screen.queryByText(/depend on this version/)).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Delete" })).toBeEnabled();
  });

  it("sums up a GGUF export per type with the next-token agreement", async () => {
    const check = (agree: number, next: number, first: unknown = null) => ({
      prompts: 3,
      agree,
      next_token_agreement: next,
      tokens_match: true,
      first_disagreement: first,
    });
    const q8Disagreement = { prompt: "Name a colour.", original: "Blue.", gguf: "Blue, like the sky." };
    const gguf = publication({
      target: "gguf",
      options: { target: "gguf", quant_types: ["f16", "q8_0"] },
      status: "succeeded",
      files: [
        { ...ggufFile, name: "support-bot-f16.gguf", quant_type: "f16", size_bytes: 270_900_000 },
        ggufFile,
      ],
      verification: { ...check(1, 0.9236, q8Disagreement), by_type: { f16: check(3, 1), q8_0: check(1, 0.9236, q8Disagreement) } },
    });
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/model-versions/${v2}`]: () => json(version()),
      [`GET /api/model-versions/${v2}/publications`]: () => json([gguf]),
    });
    startSession(tokenPair(1));
    renderApp(`/models/versions/${v2}`);

    const row = await screen.findByRole("listitem", { name: /^GGUF files/ });
    expect(row).toHaveTextContent("Verified: 1/3 prompts agree · next-token agreement 92%");
    const byType = within(row).getByRole("list", { name: "By GGUF type" });
    expect(within(byType).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "f16: 3/3 prompts agree · next-token agreement 100%",
      "q8_0: 1/3 prompts agree · next-token agreement 92%",
    ]);
    const side = within(row).getByRole("figure", { name: "First disagreement" });
    expect(within(side).getByText("The GGUF's answer").parentElement).toHaveTextContent("Blue, like the sky.");
    expect(within(row).getByRole("button", { name: "Download support-bot-f16.gguf" })).toBeInTheDocument();
  });

  it("cancels a running publication, then deletes it after a confirmation", async () => {
    let current = publication({ status: "running", progress: { phase: "merging", message: "merging the adapter into its base model" } });
    let deleted = false;
    const api = installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/model-versions/${v2}`]: () => json(version()),
      [`GET /api/model-versions/${v2}/publications`]: () => json(deleted ? [] : [current]),
      [`GET /api/publications/${pubId}`]: () => json(current),
      [`POST /api/publications/${pubId}/cancel`]: () => {
        current = { ...current, status: "cancelled", progress: { phase: "cancelled", message: "cancelled" } };
        return json(current);
      },
      [`DELETE /api/publications/${pubId}`]: () => {
        deleted = true;
        return noContent();
      },
    });
    startSession(tokenPair(1));
    const { user } = renderApp(`/models/versions/${v2}`);

    const row = await screen.findByRole("listitem", { name: /^Ollama/ });
    expect(within(row).queryByRole("button", { name: /^Delete/ })).not.toBeInTheDocument();
    await user.click(within(row).getByRole("button", { name: /^Cancel publication to Ollama/ }));
    expect(api.callsTo("POST", `/api/publications/${pubId}/cancel`)).toHaveLength(1);
    await waitFor(() => expect(row).toHaveTextContent("cancelled"));
    expect(within(row).queryByRole("progressbar")).not.toBeInTheDocument();

    await user.click(within(row).getByRole("button", { name: /^Delete publication to Ollama/ }));
    const confirm = within(row).getByRole("alertdialog", { name: "Confirm delete" });
    expect(confirm).toHaveTextContent("What was published to the Hub or to Ollama stays there.");
    await user.click(within(confirm).getByRole("button", { name: "Keep it" }));
    expect(api.callsTo("DELETE", `/api/publications/${pubId}`)).toHaveLength(0);

    await user.click(within(row).getByRole("button", { name: /^Delete publication to Ollama/ }));
    await user.click(within(row).getByRole("button", { name: "Delete publication" }));
    await waitFor(() => expect(api.callsTo("DELETE", `/api/publications/${pubId}`)).toHaveLength(1));
    expect(await screen.findByText(/Not published yet/)).toBeInTheDocument();
  });

  it("shows why a delete was refused", async () => {
    const done = publication({ status: "succeeded", link: "support-bot:v2 on http://localhost:11434" });
    installFakeApi({
      "GET /api/auth/me": () => json(alice),
      [`GET /api/model-versions/${v2}`]: () => json(version()),
      [`GET /api/model-versions/${v2}/publications`]: () => json([done]),
      [`DELETE /api/publications/${pubId}`]: () =>
        apiError(409, "Conflict", "This publication is still running: cancel it first, then delete it."),
    });
    startSession(tokenPair(1));
    const { user } = renderApp(`/models/versions/${v2}`);

    const row = await screen.findByRole("listitem", { name: /^Ollama/ });
    await user.click(within(row).getByRole("button", { name: /^Delete publication/ }));
    await user.click(within(row).getByRole("button", { name: "Delete publication" }));
    expect(await within(row).findByRole("alert")).toHaveTextContent("This publication is still running: cancel it first");
  });
});
