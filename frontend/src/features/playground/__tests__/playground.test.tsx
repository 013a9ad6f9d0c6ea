import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, apiError, installFakeApi, json, tokenPair, type Call } from "@/test/fake-api";
import { FakeWebSocket, installFakeWebSocket } from "@/test/fake-socket";
import { renderApp } from "@/test/render";
import { answer, feedbackDataset, feedbackVersion, genA, genB, teamId, turn, turnId, v1, v2, versionSummary } from "./fixtures";

type Routes = Record<string, (call: Call) => Response | Promise<Response>>;

function fakePlaygroundApi(routes: Routes) {
  startSession(tokenPair(1));
  return installFakeApi({
    "GET /api/auth/me": () => json(alice),
    [`GET /api/teams/${teamId}/model-versions`]: () => json({ items: [versionSummary(v2, 2, ["candidate"]), versionSummary(v1, 1)], total: 2 }),
    [`GET /api/teams/${teamId}/playground/workers`]: () => json({ online: 1, max_model_bytes: 2 ** 31, note: null }),
    [`GET /api/teams/${teamId}/playground/feedback`]: () => json([]),
    ...routes,
  });
}

const hiddenSide = { label: null, version_id: null, base: null, rendered_prompt: null };

describe("the playground", () => {
  it("hides which model answered a blind turn until the pick, then names them and goes on from the picked answer", async () => {
    const blindTurn = turn({
      blind: true,
      revealed: false,
      answers: [
        answer({ id: genA, ...hiddenSide, text: "It is 4.", seq: 3 }),
        answer({ id: genB, slot: 1, side: "B", ...hiddenSide, text: "Four!", seq: 2 }),
      ],
    });
    const revealed = turn({
      blind: true,
      revealed: true,
      pick: "b",
      answers: [
        answer({ id: genA, text: "It is 4.", seq: 3, rendered_prompt: "<|user|>What is 2 plus 2?<|assistant|>" }),
        answer({ id: genB, slot: 1, side: "B", label: "support-bot v1", version_id: v1, text: "Four!", seq: 2 }),
      ],
    });
    const saved = {
      kind: "preference",
      dataset_id: feedbackDataset,
      dataset_name: "Playground preferences",
      dataset_version_id: feedbackVersion,
      version_number: 3,
      rows: 3,
      method: "dpo",
    };
    const api = fakePlaygroundApi({
      [`POST /api/teams/${teamId}/playground/turns`]: (call) =>
        (call.body as { messages: unknown[] }).messages.length === 1
          ? json(blindTurn, 201)
          : json(turn({ id: "7b2d0000-0000-4000-8000-000000000002", answers: [answer({ id: "7b2d0000-0000-4000-8000-0000000000aa", text: "Six." })] }), 201),
      [`POST /api/playground/turns/${turnId}/pick`]: () => json({ turn: revealed, saved }),
    });
    const { user } = renderApp(`/playground?version=${v2}&compare=${v1}`);

    expect(await screen.findByLabelText("Side A: model version")).toHaveValue(v2);
    expect(screen.getByLabelText("Side B (optional)")).toHaveValue(v1);
    await user.click(screen.getByLabelText("Blind"));
    await user.type(screen.getByLabelText("Your message"), "What is 2 plus 2?");
    await user.click(screen.getByRole("button", { name: "Send" }));

    const conversation = await screen.findByRole("list", { name: "Conversation" });
    expect(api.callsTo("POST", `/api/teams/${teamId}/playground/turns`)[0]!.body).toMatchObject({
      messages: [{ role: "user", content: "What is 2 plus 2?" }],
      targets: [
        { version_id: v2, base: false },
        { version_id: v1, base: false },
      ],
      blind: true,
      params: { temperature: 0, top_p: 1, max_new_tokens: 256, stop: [] },
    });
    const a = within(conversation).getByRole("article", { name: "Answer A" });
    const b = within(conversation).getByRole("article", { name: "Answer B" });
    expect(a).toHaveTextContent("It is 4.");
    expect(a).toHaveTextContent("Model hidden until you pick");
    expect(conversation).not.toHaveTextContent("support-bot");
    expect(within(a).queryByText("Show prompt as the model sees it")).not.toBeInTheDocument();
    // Rating one side of a blind turn would give it away: only the pick is offered.
    expect(within(conversation).queryByRole("button", { name: "Thumbs up" })).not.toBeInTheDocument();

    await user.click(within(conversation).getByRole("button", { name: "B is better" }));
    expect(api.callsTo("POST", `/api/playground/turns/${turnId}/pick`)[0]!.body).toEqual({ choice: "b" });
    expect(await within(a).findByText("support-bot v2")).toBeInTheDocument();
    expect(within(b).getByText("support-bot v1")).toBeInTheDocument();
    expect(within(a).getByText("Show prompt as the model sees it")).toBeInTheDocument();
    expect(within(conversation).getByText("You picked answer B.")).toBeInTheDocument();
    expect(within(conversation).queryByRole("button", { name: "A is better" })).not.toBeInTheDocument();
    expect(within(a).getByRole("button", { name: "Thumbs up" })).toBeEnabled();

    const confirmation = within(conversation).getByRole("status");
    expect(confirmation).toHaveTextContent("Saved to Playground preferences v3 (3 rows)");
    expect(within(confirmation).getByRole("link", { name: "Train on this feedback" })).toHaveAttribute(
      "href",
      // The picked answer (B, support-bot v1) is what training continues from.
      `/training/new?dataset_version=${feedbackVersion}&method=dpo&base_model=version:${v1}`,
    );

    // The next message goes on from the picked answer (B's).
    await user.type(screen.getByLabelText("Your message"), "And 3 plus 3?");
    await user.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(api.callsTo("POST", `/api/teams/${teamId}/playground/turns`)).toHaveLength(2));
    expect(api.callsTo("POST", `/api/teams/${teamId}/playground/turns`)[1]!.body).toMatchObject({
      messages: [
        { role: "user", content: "What is 2 plus 2?" },
        { role: "assistant", content: "Four!" },
        { role: "user", content: "And 3 plus 3?" },
      ],
    });
  });

  it("streams an answer over its socket: deltas append, snapshots replace, Stop cancels; a rating shows its Train link", async () => {
    installFakeWebSocket();
    const queued = answer({ id: genA, status: "queued" });
    const api = fakePlaygroundApi({
      [`POST /api/teams/${teamId}/playground/turns`]: () => json(turn({ answers: [queued] }), 201),
      [`POST /api/playground/generations/${genA}/cancel`]: () => json(answer({ id: genA, status: "running", text: "Hello", seq: 2 })),
      [`POST /api/playground/generations/${genA}/rating`]: () =>
        json({
          turn: turn({ answers: [answer({ id: genA, text: "Hello world", seq: 4, status: "done", rating: "up" })] }),
          saved: {
            kind: "rating",
            dataset_id: feedbackDataset,
            dataset_name: "Playground ratings",
            dataset_version_id: feedbackVersion,
            version_number: 1,
            rows: 1,
            method: "kto",
          },
        }),
    });
    const { user } = renderApp(`/playground?version=${v2}`);
    await user.type(await screen.findByLabelText("Your message"), "Say hello");
    await user.click(screen.getByRole("button", { name: "Send" }));

    const card = await screen.findByRole("article", { name: "Answer" });
    expect(card).toHaveTextContent("waiting for a worker");
    const socket = FakeWebSocket.instances.find((s) => s.url.endsWith(`/api/ws/generations/${genA}`))!;
    expect(socket).toBeDefined();
    await act(async () => {
      await Promise.resolve();
    });
    expect(socket.sent[0]).toEqual({ type: "auth", token: "access-1" });

    await act(async () => {
      socket.receive({ kind: "snapshot", generation: answer({ id: genA, status: "loading", seq: 1 }) });
    });
    expect(card).toHaveTextContent("loading the model");
    await act(async () => {
      socket.receive({ kind: "snapshot", generation: answer({ id: genA, status: "running", text: "Hel", seq: 2 }) });
      socket.receive({ kind: "delta", seq: 3, text: "lo" });
      socket.receive({ kind: "delta", seq: 3, text: "lo" }); // sent twice: kept once
      socket.receive({ kind: "delta", seq: 4, text: " world" });
    });
    await waitFor(() => expect(card).toHaveTextContent("Hello world"));
    expect(card).not.toHaveTextContent("Hellolo");
    expect(card).toHaveTextContent("writing the answer");

    await user.click(within(card).getByRole("button", { name: "Stop" }));
    expect(api.callsTo("POST", `/api/playground/generations/${genA}/cancel`)).toHaveLength(1);
    // The cancel's reply is older than what streamed: the text is kept.
    expect(card).toHaveTextContent("Hello world");
    expect(within(card).getByRole("button", { name: "Stopping…" })).toBeDisabled();

    await act(async () => {
      socket.receive({
        kind: "snapshot",
        generation: answer({
          id: genA,
          status: "done",
          text: "Hello world",
          seq: 5,
          finish_reason: "length",
          stats: { first_token_ms: 120.4, tokens_per_s: 35, new_tokens: 12, cold: true, load_ms: 1400 },
          rendered_prompt: "<|user|>Say hello<|assistant|>",
        }),
      });
    });
    expect(within(card).getByTestId("answer-stats")).toHaveTextContent(
      "first token 120 ms · 35.0 tokens/s · 12 new tokens · cold (model loaded in 1.4 s) · stopped at max new tokens",
    );
    expect(within(card).queryByRole("button", { name: /Stop/ })).not.toBeInTheDocument();
    expect(socket.closed).toBe(true);
    expect(within(card).getByText("<|user|>Say hello<|assistant|>")).toBeInTheDocument();

    await user.click(within(card).getByRole("button", { name: "Thumbs up" }));
    const confirmation = await screen.findByText(/Saved to Playground ratings v1 \(1 row\)/);
    expect(within(confirmation).getByRole("link", { name: "Train on this feedback" })).toHaveAttribute(
      "href",
      `/training/new?dataset_version=${feedbackVersion}&method=kto&base_model=version:${v2}`,
    );
    expect(within(card).getByRole("button", { name: "Thumbs up" })).toHaveAttribute("aria-pressed", "true");
  });

  it("says an answer of only spaces has no text, and why neither side can then be picked", async () => {
    const blankTurn = turn({
      blind: true,
      revealed: false,
      answers: [
        answer({ id: genA, ...hiddenSide, text: "            ", seq: 12, finish_reason: "length" }),
        answer({ id: genB, slot: 1, side: "B", ...hiddenSide, text: "The sum is 7.", seq: 5, finish_reason: "stop" }),
      ],
    });
    fakePlaygroundApi({ [`POST /api/teams/${teamId}/playground/turns`]: () => json(blankTurn, 201) });
    const { user } = renderApp(`/playground?version=${v2}&compare=${v1}`);
    await user.click(await screen.findByLabelText("Blind"));
    await user.type(screen.getByLabelText("Your message"), "What is 3 plus 4?");
    await user.click(screen.getByRole("button", { name: "Send" }));

    const conversation = await screen.findByRole("list", { name: "Conversation" });
    expect(within(conversation).getByRole("article", { name: "Answer A" })).toHaveTextContent("(no text)");
    expect(within(conversation).getByRole("article", { name: "Answer B" })).not.toHaveTextContent("(no text)");
    const picks = within(conversation).getByRole("group", { name: "Which answer is better?" });
    for (const name of ["A is better", "B is better"]) expect(within(picks).getByRole("button", { name })).toBeDisabled();
    // A tie saves no row, so it needs no text: the turn can still be resolved (and a blind one revealed).
    expect(within(picks).getByRole("button", { name: "Tie" })).toBeEnabled();
    expect(picks).toHaveTextContent("An answer without text cannot be picked (a tie still can): ask again.");
    expect(picks).not.toHaveTextContent("Pick once both answers are finished.");
  });

  it("says in plain words why a turn was refused, with the server's detail, and lists the feedback datasets", async () => {
    const note = "No worker is online to run the model: start one with `tuneforge worker`.";
    fakePlaygroundApi({
      [`GET /api/teams/${teamId}/playground/workers`]: () => json({ online: 0, max_model_bytes: null, note }),
      [`POST /api/teams/${teamId}/playground/turns`]: () => apiError(503, "ServiceUnavailable", note),
      [`GET /api/teams/${teamId}/playground/feedback`]: () =>
        json([
          {
            kind: "preference",
            data_kind: "preference",
            method: "dpo",
            dataset_id: feedbackDataset,
            dataset_name: "Playground preferences",
            latest_version_id: feedbackVersion,
            latest_version_number: 2,
            rows: 7,
          },
        ]),
    });
    const { user } = renderApp(`/playground?version=${v1}&compare=base`);
    expect(await screen.findByText(note, { selector: "[data-tone=warning] p" })).toBeInTheDocument();
    expect(screen.getByLabelText("Side B (optional)")).toHaveValue("base");

    await user.type(screen.getByLabelText("Your message"), "Hi");
    await user.click(screen.getByRole("button", { name: "Send" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("No worker can answer right now.");
    expect(alert).toHaveTextContent(note);

    expect(await screen.findByRole("link", { name: "Playground preferences" })).toHaveAttribute(
      "href",
      `/datasets/${feedbackDataset}?version=${feedbackVersion}`,
    );
    expect(screen.getByRole("link", { name: "Train on this feedback (Playground preferences)" })).toHaveAttribute(
      "href",
      `/training/new?dataset_version=${feedbackVersion}&method=dpo&base_model=version:${v1}`,
    );
  });
});
