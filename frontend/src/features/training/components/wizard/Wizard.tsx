import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { Button } from "@/components/ui/Button";
import { cn } from "@/components/ui/cn";
import { ErrorAlert } from "@/components/ui/Feedback";
import type { TeamSummary } from "@/lib/api/types";
import { useDebounced } from "@/lib/use-debounced";
import { useCreateJob } from "../../api/create-job";
import { useEstimate } from "../../api/estimate-job";
import { useEstimateAccuracy } from "../../api/get-estimate-accuracy";
import { useCredentials } from "@/lib/api/get-credentials";
import { useTeamCredentials } from "@/features/team/api/quotas";
import { useDatasets } from "@/lib/api/list-datasets";
import { useJobs } from "../../api/list-jobs";
import { useVersionsOf } from "@/lib/api/list-versions";
import type { Info } from "@/lib/api/types";
import {
  adapterDisabledReason,
  dataKindLabels,
  datasetDisabledReason,
  methodDisabledReason,
  type AdapterInfo,
  type MethodInfo,
} from "../../lib/compat";
import { formErrors, HUB_ID_HINT, HUB_ID_PATTERN, toJobCreate, type WizardForm } from "../../lib/wizard-form";
import { BaseModelStep } from "./BaseModelStep";
import { DatasetStep, type VersionChoice } from "./DatasetStep";
import { GoalStep } from "./GoalStep";
import { RegisterAsField } from "./RegisterAsField";
import { ReviewStep } from "./ReviewStep";
import { SettingsStep } from "./SettingsStep";
import { TargetStep } from "./TargetStep";

const STEPS = ["Goal", "Base model", "Dataset", "Settings", "Where to run", "Review"] as const;

export function Wizard({ initial, info, team }: { initial: WizardForm; info: Info; team: TeamSummary }) {
  const navigate = useNavigate();
  const [form, setForm] = useState<WizardForm>(initial);
  const [step, setStep] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const update = (patch: Partial<WizardForm>) => setForm((f) => ({ ...f, ...patch }));

  const methods: MethodInfo[] = info.methods;
  const adapters: AdapterInfo[] = info.adapters;
  const kindLabels = useMemo(() => dataKindLabels(info.data_kinds), [info.data_kinds]);
  const method = methods.find((m) => m.name === form.method);
  const datasets = useDatasets(team.id);
  const activeDatasets = (datasets.data ?? []).filter((d) => !d.archived);
  const versionQueries = useVersionsOf(team.id, activeDatasets.map((d) => d.id));
  const choices: VersionChoice[] = activeDatasets.flatMap((dataset, i) =>
    (versionQueries[i]?.data ?? []).map((version) => ({ dataset, version })),
  );
  const succeeded = useJobs(team.id, { status: "succeeded", limit: 50 });
  const credentials = useCredentials();
  const modalCredential = credentials.data?.find((c) => c.provider === "modal" && c.configured);
  // Without a token of their own, a member's Modal job runs on the team's, when an admin set one.
  const teamCredentials = useTeamCredentials(team.id);
  const teamModal = teamCredentials.data?.credentials.find((c) => c.provider === "modal" && c.configured);
  const hasModalToken = Boolean(modalCredential ?? teamModal);
  const modalTokenHint = modalCredential?.last4
    ? `ak-…${modalCredential.last4}`
    : teamModal?.last4
      ? `the team's, ak-…${teamModal.last4}`
      : null;
  const createJob = useCreateJob(team.id);

  const errors = useMemo(() => formErrors(form), [form]);
  const body = useMemo(() => toJobCreate(form), [form]);
  // The estimate follows the form 400 ms behind; it is asked only for a settled, valid form.
  const settled = useDebounced(form, 400);
  const settledBody = useMemo(() => toJobCreate(settled), [settled]);
  const canEstimate =
    step >= 3 && Boolean(settled.dataset_version_id) && Object.keys(formErrors(settled)).length === 0;
  const estimate = useEstimate(team.id, canEstimate ? settledBody : null);
  const accuracy = useEstimateAccuracy(team.id, step >= 4);

  // Move focus to the new step's heading so keyboard and screen-reader users land on it; on a
  // phone the step list scrolls sideways, so bring the current step into view.
  useEffect(() => {
    heading.current?.focus();
    document.querySelector('[aria-current="step"]')?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
  }, [step]);

  const chosenVersion = choices.find((c) => c.version.id === form.dataset_version_id)?.version;
  const blockers: (string | null)[] = [
    !method
      ? "Choose a method."
      : (methodDisabledReason(method) ??
        (adapters.find((a) => a.name === form.adapter) ? adapterDisabledReason(method, adapters.find((a) => a.name === form.adapter)!) : "Choose an adapter.")),
    !form.base_model.trim()
      ? "Choose or enter a base model."
      : form.baseModelSource === "folder" && !form.base_model.startsWith("/")
        ? "Use an absolute folder path."
        : form.baseModelSource === "hub" && !HUB_ID_PATTERN.test(form.base_model)
          ? HUB_ID_HINT
          : null,
    !chosenVersion
      ? "Choose a dataset version."
      : (datasetDisabledReason(method, chosenVersion.kind, kindLabels) ??
        (Object.keys(errors).some((k) => k.startsWith("mixture")) ? "Fix the mixture rows." : null)),
    Object.keys(errors).length ? "Fix the highlighted settings." : null,
    form.executor === "modal" && !hasModalToken ? "Add a Modal token in Settings to run on Modal." : null,
    form.register_as.mode === "existing" && !form.register_as.model_id ? "Choose the model to add a version to." : null,
  ];
  const blocker = blockers[step];

  function launch() {
    createJob.mutate(body, { onSuccess: (job) => navigate(`/training/${job.id}`) });
  }

  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-[12rem_1fr]">
      <nav aria-label="Wizard steps" className="min-w-0">
        <ol className="flex gap-1 overflow-x-auto text-sm lg:flex-col">
          {STEPS.map((name, i) => (
            <li key={name}>
              <button
                type="button"
                onClick={() => i < step && setStep(i)}
                disabled={i > step}
                aria-current={i === step ? "step" : undefined}
                className={cn(
                  "w-full whitespace-nowrap rounded-md px-3 py-1.5 text-left",
                  i === step ? "bg-indigo-600 text-white" : i < step ? "text-indigo-700 hover:bg-indigo-50" : "text-slate-400",
                )}
              >
                {i + 1}. {name}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <form
        aria-labelledby="wizard-step-heading"
        className="min-w-0 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
        onSubmit={(e) => {
          e.preventDefault();
          if (blocker) return;
          if (step < STEPS.length - 1) setStep(step + 1);
        }}
      >
        <h2 id="wizard-step-heading" ref={heading} tabIndex={-1} className="mb-4 text-lg font-semibold text-slate-900 outline-none">
          Step {step + 1} of {STEPS.length}: {STEPS[step]}
        </h2>
        {step === 0 && <GoalStep form={form} update={update} methods={methods} adapters={adapters} />}
        {step === 1 && (
          <BaseModelStep
            form={form}
            update={update}
            bundled={info.base_models}
            previousJobs={succeeded.data?.items ?? []}
          />
        )}
        {step === 2 && (
          <DatasetStep form={form} update={update} method={method} kindLabels={kindLabels} choices={choices} errors={errors} />
        )}
        {step === 3 && (
          <SettingsStep
            form={form}
            update={update}
            presets={info.presets}
            providers={info.providers}
            errors={errors}
            serverError={estimate.error}
          />
        )}
        {step === 4 && (
          <TargetStep
            form={form}
            update={update}
            workers={info.workers}
            estimate={estimate.data}
            estimateError={estimate.error}
            estimating={estimate.isFetching}
            hasModalToken={hasModalToken}
            modalTokenHint={modalTokenHint}
            accuracy={accuracy.data}
          />
        )}
        {step === 5 && (
          <div className="min-w-0 space-y-6">
            <RegisterAsField teamId={team.id} form={form} update={update} />
            <ReviewStep teamId={team.id} body={body} estimate={estimate.data} estimateError={estimate.error} datasets={choices} />
          </div>
        )}

        <div className="mt-6 flex flex-wrap items-center justify-between gap-3 border-t border-slate-100 pt-4">
          <Button variant="secondary" onClick={() => setStep(step - 1)} disabled={step === 0}>
            Back
          </Button>
          {blocker && <p className="text-sm text-amber-800">{blocker}</p>}
          {step < STEPS.length - 1 ? (
            <Button type="submit" disabled={Boolean(blocker)}>
              Next
            </Button>
          ) : (
            <Button onClick={launch} pending={createJob.isPending} disabled={Boolean(blockers.find(Boolean))}>
              Launch
            </Button>
          )}
        </div>
        <ErrorAlert error={createJob.error} className="mt-3" />
      </form>
    </div>
  );
}
