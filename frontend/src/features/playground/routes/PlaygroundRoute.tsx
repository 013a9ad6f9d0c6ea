import { useQueries } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { Button } from "@/components/ui/Button";
import { RoleGate } from "@/components/ui/RoleGate";
import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorAlert, Notice } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import { TextAreaField } from "@/components/ui/TextAreaField";
import { useTeamModelVersions } from "@/lib/api/list-model-versions";
import type { PlaygroundTarget, TurnRead } from "@/lib/api/types";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useCreateTurn } from "../api/create-turn";
import { answerQueryOptions } from "../api/get-generation";
import { usePlaygroundWorkers } from "../api/get-workers";
import { ApiProblem } from "../components/ApiProblem";
import { FeedbackDatasets } from "../components/FeedbackDatasets";
import { SettingsPanel } from "../components/SettingsPanel";
import { SidesPicker, type SideB } from "../components/SidesPicker";
import { TurnView } from "../components/TurnView";
import { nextMessages } from "../lib/conversation";
import { isTerminal } from "../lib/generation-stream";
import { defaultSettings, settingsErrors, toParams, type PlaygroundSettings } from "../lib/settings";

const batchLink = (
  <Link className="text-sm text-indigo-700 hover:underline" to="/playground/batch">
    Batch compare on a dataset
  </Link>
);

/**
 * /playground: chat with a model version, or two side by side (optionally blind), and turn the
 * answers into training data. `?version=<id>` picks side A, `?compare=<id>|base` side B.
 */
export function PlaygroundRoute() {
  const { team } = useCurrentTeam();
  const [params] = useSearchParams();
  // Archived versions still answer: the list includes them (marked), so ?version= finds any of the team's.
  const versions = useTeamModelVersions(team?.id, true);
  const workers = usePlaygroundWorkers(team?.id);
  const [chosenA, setChosenA] = useState(params.get("version") ?? "");
  const [chosenB, setChosenB] = useState<SideB>(params.get("compare") ?? "");
  const [blind, setBlind] = useState(false);
  const [settings, setSettings] = useState<PlaygroundSettings>(defaultSettings);
  const [message, setMessage] = useState("");
  const [turns, setTurns] = useState<TurnRead[]>([]);
  const createTurn = useCreateTurn(team?.id ?? "");

  const list = useMemo(() => versions.data ?? [], [versions.data]);
  const listed = list.filter((v) => !v.archived || v.id === chosenA || v.id === chosenB);
  const sideA = chosenA && list.some((v) => v.id === chosenA) ? chosenA : (listed.find((v) => !v.archived)?.id ?? "");
  const sideB = chosenB === "base" || (chosenB !== sideA && list.some((v) => v.id === chosenB)) ? chosenB : "";
  const unknownVersion = Boolean(chosenA) && versions.isSuccess && !list.some((v) => v.id === chosenA);
  const errors = settingsErrors(settings);

  const last = turns[turns.length - 1];
  const lastAnswers = useQueries({ queries: (last?.answers ?? []).map(answerQueryOptions) }).map((q) => q.data);
  const answering = lastAnswers.some((a) => !isTerminal(a));

  const header = <PageHeader title="Playground" description="Talk to your model versions, compare them, and keep the good answers as training data." actions={batchLink} />;
  if (!team || versions.isPending) return <>{header}<PageLoader label="Loading the model versions" /></>;
  if (versions.isError) return <>{header}<ErrorAlert error={versions.error} /></>;
  if (listed.length === 0) {
    return (
      <>
        {header}
        <EmptyState title="No model versions yet">
          <p>
            Each training run that finishes adds a model version; then you can chat with it here.{" "}
            <Link className="text-indigo-700 underline" to="/training/new">Start a training job</Link>.
          </p>
        </EmptyState>
      </>
    );
  }

  const targets: PlaygroundTarget[] = [{ version_id: sideA, base: false }];
  if (sideB === "base") targets.push({ version_id: sideA, base: true });
  else if (sideB) targets.push({ version_id: sideB, base: false });
  const blocker = !message.trim()
    ? null
    : Object.keys(errors).length
      ? "Fix the highlighted settings first."
      : answering
        ? "Wait for the last answer to finish (or stop it)."
        : null;

  function send() {
    if (!message.trim() || blocker || !sideA) return;
    const body = {
      messages: nextMessages(last ? { turn: last, answers: lastAnswers } : undefined, message),
      targets,
      blind: targets.length === 2 && blind,
      params: toParams(settings),
    };
    createTurn.mutate(body, {
      onSuccess: (turn) => {
        setTurns((previous) => [...previous, turn]);
        setMessage("");
      },
    });
  }
  const replaceTurn = (turn: TurnRead) => setTurns((previous) => previous.map((t) => (t.id === turn.id ? turn : t)));

  return (
    <>
      {header}
      <div className="space-y-6">
        {workers.data?.note && (
          <Notice tone="warning">
            <p className="font-semibold">No worker can answer right now.</p>
            <p>{workers.data.note}</p>
          </Notice>
        )}
        <Card title="Models">
          {unknownVersion && (
            <Notice tone="warning" className="mb-3">
              The model version in the link is not one of your team's (deleted, or another team's): pick one below.
            </Notice>
          )}
          <SidesPicker
            versions={listed}
            sideA={sideA}
            sideB={sideB}
            blind={blind}
            onChange={(patch) => {
              if (patch.sideA !== undefined) setChosenA(patch.sideA);
              if (patch.sideB !== undefined) setChosenB(patch.sideB);
              if (patch.blind !== undefined) setBlind(patch.blind);
            }}
          />
        </Card>
        <SettingsPanel settings={settings} errors={errors} onChange={(patch) => setSettings((s) => ({ ...s, ...patch }))} />

        <section aria-labelledby="conversation-heading" className="space-y-4">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h2 id="conversation-heading" className="text-lg font-semibold text-slate-900">
              Conversation
            </h2>
            <Button variant="secondary" disabled={turns.length === 0 || answering} onClick={() => setTurns([])}>
              New conversation
            </Button>
          </div>
          {turns.length === 0 ? (
            <p className="text-sm text-slate-600">Nothing yet: write a message below. Each answer streams in as it is written.</p>
          ) : (
            <ol aria-label="Conversation" className="space-y-6">
              {turns.map((turn) => (
                <TurnView key={turn.id} turn={turn} teamId={team.id} onTurn={replaceTurn} />
              ))}
            </ol>
          )}
          {turns.length > 0 && (
            <p className="text-xs text-slate-600">
              The next message goes on from the answer you picked (or answer A), with your edit if you kept one.
            </p>
          )}
          <RoleGate needs="member" action="chat in the playground">
            <form
              className="space-y-2"
              onSubmit={(e) => {
                e.preventDefault();
                send();
              }}
            >
              <TextAreaField
                label="Your message"
                hint="Ctrl+Enter sends."
                rows={3}
                value={message}
                onChange={(e) => setMessage(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                    e.preventDefault();
                    send();
                  }
                }}
              />
              <div className="flex flex-wrap items-center gap-3">
                <Button type="submit" pending={createTurn.isPending} disabled={!message.trim() || Boolean(blocker)}>
                  Send
                </Button>
                {blocker && <p className="text-sm text-amber-800">{blocker}</p>}
              </div>
              <ApiProblem error={createTurn.error} />
            </form>
          </RoleGate>
        </section>

        <FeedbackDatasets teamId={team.id} versionId={sideA || undefined} />
      </div>
    </>
  );
}
