import { Link } from "react-router";
import { cn } from "@/components/ui/cn";
import { Pill, type PillTone } from "@/components/ui/Pill";
import type { FirstSteps } from "../api/get-first-steps";

type StepState = "done" | "next" | "in-progress" | "waiting" | "coming";

type Step = { title: string; state: StepState; text: string; link: { to: string; label: string } };

/** The getting-started path, in order, each step ticked off from the team's real datasets and jobs. */
export function gettingStartedSteps(progress: FirstSteps): Step[] {
  const data: StepState = progress.hasUsableData ? "done" : "next";
  const train: StepState = progress.hasSucceededJob
    ? "done"
    : progress.hasJob
      ? "in-progress"
      : progress.hasUsableData
        ? "next"
        : "waiting";
  return [
    {
      title: "Upload training data",
      state: data,
      text: progress.hasUsableData
        ? "You have a dataset version ready to train on."
        : "Upload a JSONL, CSV or Parquet file of examples; TuneForge checks it and says what to fix.",
      link: { to: "/datasets", label: progress.hasUsableData ? "Datasets" : "Upload a dataset" },
    },
    {
      title: "Train a model",
      state: train,
      text:
        train === "done"
          ? "A training job has finished."
          : train === "in-progress"
            ? "Your first job has not finished yet: follow it on the Training page."
            : train === "next"
              ? "Fine-tune a base model on your data; the wizard estimates time and memory first."
              : "Once you have usable data, start a training job on it.",
      link: train === "next" ? { to: "/training/new", label: "Start a training job" } : { to: "/training", label: "Training" },
    },
    {
      title: "Try the model",
      state: "coming",
      text: "Chat with a trained model and compare it with its base model.",
      link: { to: "/models", label: "Models" },
    },
    {
      title: "Publish it",
      state: "coming",
      text: "Push a trained model to the Hugging Face Hub or into Ollama.",
      link: { to: "/models", label: "Models" },
    },
  ];
}

const marks: Record<StepState, { label: string; tone: PillTone; className: string }> = {
  done: { label: "done", tone: "success", className: "bg-emerald-600 text-white" },
  next: { label: "next", tone: "info", className: "bg-indigo-600 text-white" },
  "in-progress": { label: "in progress", tone: "info", className: "bg-indigo-100 text-indigo-800" },
  waiting: { label: "not yet", tone: "neutral", className: "bg-slate-100 text-slate-600" },
  coming: { label: "coming with model versions", tone: "neutral", className: "bg-slate-100 text-slate-500" },
};

export function GettingStarted({ progress }: { progress: FirstSteps }) {
  const steps = gettingStartedSteps(progress);
  return (
    <ol aria-label="Getting started" className="space-y-3">
      {steps.map((step, index) => {
        const mark = marks[step.state];
        return (
          <li key={step.title} className="flex gap-3" aria-current={step.state === "next" ? "step" : undefined}>
            <span
              aria-hidden="true"
              className={cn("flex size-7 shrink-0 items-center justify-center rounded-full text-sm font-semibold", mark.className)}
            >
              {step.state === "done" ? "✓" : index + 1}
            </span>
            <div className="min-w-0 space-y-0.5">
              <p className="flex flex-wrap items-center gap-2 text-sm font-medium text-slate-900">
                {step.title}
                {step.state !== "waiting" && <Pill tone={mark.tone}>{mark.label}</Pill>}
              </p>
              <p className="text-sm text-slate-600">
                {step.text}{" "}
                <Link to={step.link.to} className="text-indigo-700 underline">
                  {step.link.label}
                </Link>
              </p>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
