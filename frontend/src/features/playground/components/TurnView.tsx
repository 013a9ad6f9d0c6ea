import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { RoleGate } from "@/components/ui/RoleGate";
import { ErrorAlert } from "@/components/ui/Feedback";
import type { FeedbackResult, FeedbackSaved, TurnRead } from "@/lib/api/types";
import { useAnswer } from "../api/get-generation";
import { usePickAnswer, type PickChoice } from "../api/pick-answer";
import { isTerminal } from "../lib/generation-stream";
import { AnswerCard } from "./AnswerCard";
import { SavedNotice } from "./SavedNotice";

const PICKED: Record<PickChoice, string> = {
  a: "You picked answer A.",
  b: "You picked answer B.",
  tie: "You called it a tie: no preference row was saved.",
};

/**
 * One exchange: the user's message, then the answer(s) side by side (stacked on a phone). With two
 * sides the user picks the better one first (a blind turn then shows its models); then each answer
 * can be rated or corrected. Every save says where it went, with a link to train on it.
 */
export function TurnView({ turn, teamId, onTurn }: { turn: TurnRead; teamId: string; onTurn: (turn: TurnRead) => void }) {
  const pick = usePickAnswer(teamId);
  const [saved, setSaved] = useState<FeedbackSaved | null>(null);
  const answers = turn.answers;
  const a = useAnswer(answers[0]!);
  const b = useAnswer(answers[1] ?? answers[0]!);
  const paired = answers.length === 2;
  const hidden = turn.blind && !turn.revealed;
  const bothDone = [a, b].every((g) => g.status === "done" && g.text.trim() !== "");
  const bothEnded = [a, b].every((g) => isTerminal(g));
  const userMessage = turn.messages[turn.messages.length - 1]?.content ?? "";
  // Train on top of the picked answer's version (a base side has none of its own: then the other side's).
  const preferred = turn.pick === "b" ? [answers[1], answers[0]] : [answers[0], answers[1]];
  const trainFrom = preferred.find((g) => g?.version_id && !g.base)?.version_id ?? a.version_id;
  const onFeedback = (result: FeedbackResult) => {
    if (result.turn) onTurn(result.turn);
    if (result.saved) setSaved(result.saved);
  };

  return (
    <li className="space-y-3">
      <div className="ml-auto w-fit max-w-full rounded-lg bg-indigo-50 px-3 py-2 text-sm text-slate-900 sm:max-w-[85%]">
        <p className="sr-only">You:</p>
        <p className="whitespace-pre-wrap break-words">{userMessage}</p>
      </div>
      <div className={paired ? "grid gap-3 md:grid-cols-2" : "grid gap-3"}>
        {answers.map((answer) => (
          <AnswerCard
            key={answer.id}
            answer={answer}
            title={paired ? `Answer ${answer.side}` : "Answer"}
            hidden={hidden}
            feedback={!paired || turn.pick !== null}
            teamId={teamId}
            onFeedback={onFeedback}
          />
        ))}
      </div>
      {paired && turn.pick === null && (
        <RoleGate needs="member" action="pick answers">
          <div role="group" aria-label="Which answer is better?" className="flex flex-wrap items-center gap-2">
            <span className="text-sm font-medium text-slate-800">Which is better?</span>
            {(["a", "b", "tie"] as const).map((choice) => (
              <Button
                key={choice}
                variant="secondary"
                disabled={!(choice === "tie" ? bothEnded : bothDone) || pick.isPending}
                onClick={() => pick.mutate({ turnId: turn.id, choice }, { onSuccess: onFeedback })}
              >
                {choice === "tie" ? "Tie" : `${choice.toUpperCase()} is better`}
              </Button>
            ))}
            {!bothDone && (
              <span className="text-xs text-slate-600">
                {bothEnded ? "An answer without text cannot be picked (a tie still can): ask again." : "Pick once both answers are finished."}
              </span>
            )}
          </div>
        </RoleGate>
      )}
      {paired && turn.pick !== null && <p className="text-sm text-slate-700">{PICKED[turn.pick]}</p>}
      <ErrorAlert error={pick.error} />
      {saved && <SavedNotice saved={saved} versionId={trainFrom} />}
    </li>
  );
}
