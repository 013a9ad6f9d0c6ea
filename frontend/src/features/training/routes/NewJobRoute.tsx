import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { ErrorAlert, Notice } from "@/components/ui/Feedback";
import { PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useTeamRole } from "@/lib/auth/team-role";
import { useInfo } from "@/lib/api/get-info";
import { useJobConfig } from "../api/get-job-config";
import { useTemplates } from "../api/list-templates";
import type { ConfigImportRead, JobCreate } from "@/lib/api/types";
import { ConfigImport, ImportNotice } from "../components/wizard/ConfigImport";
import { TemplatePicker } from "../components/wizard/TemplatePicker";
import { Wizard } from "../components/wizard/Wizard";
import { emptyForm, fromConfig, prefillFromQuery, withPrefill } from "../lib/wizard-form";

/**
 * /training/new, optionally prefilled: `?from=<jobId>` (run again with changes), `?template=<id>`, or
 * some choices of a new job: `?dataset_version=<id>&method=<m>&base_model=<ref>` (the playground's
 * "Train on this feedback").
 */
export function NewJobRoute() {
  const [params] = useSearchParams();
  const from = params.get("from");
  const templateId = params.get("template");
  const prefill = from || templateId ? null : prefillFromQuery(params);
  const prefillKey = prefill ? JSON.stringify(prefill) : null;
  const { team } = useCurrentTeam();
  // A viewer may look through the steps, but Launch would be refused: say so before they start.
  const launchWhy = useTeamRole().reason("member", "launch jobs");
  const info = useInfo();
  const config = useJobConfig(from);
  const templates = useTemplates(templateId ? team?.id : undefined);
  // A LLaMA-Factory / Axolotl config imported on this page: the wizard reopens on it (count = its key).
  const [imported, setImported] = useState<{ result: ConfigImportRead; count: number } | null>(null);

  const template = templateId ? templates.data?.find((t) => t.id === templateId) : undefined;
  const error = info.error ?? config.error ?? templates.error ?? (templateId && templates.data && !template ? new Error("That template no longer exists.") : null);
  const source = from ? config.data : templateId ? template?.config : imported?.result.config;
  const waiting = !info.data || !team || (from && !config.data) || (templateId && !templates.data);

  const initial = useMemo(() => {
    if (!info.data) return null;
    const bundled = info.data.base_models.map((m) => String(m.name));
    if (source) return fromConfig(source as Partial<JobCreate> & Record<string, unknown>, bundled);
    if (prefillKey) return withPrefill(emptyForm(), JSON.parse(prefillKey), bundled, info.data.methods);
    return emptyForm();
  }, [info.data, source, prefillKey]);
  const onImported = (result: ConfigImportRead) => setImported((prev) => ({ result, count: (prev?.count ?? 0) + 1 }));

  const title = from ? "Run again with changes" : template ? `New job from “${template.name}”` : "New training job";
  return (
    <>
      <PageHeader title={title} description="Six steps: goal, base model, dataset, settings, where to run, review." />
      {error ? (
        <ErrorAlert error={error} />
      ) : waiting || !initial || !team || !info.data ? (
        <PageLoader label="Loading the wizard…" />
      ) : (
        <>
          {launchWhy && (
            <Notice tone="warning" className="mb-4">
              {launchWhy}
            </Notice>
          )}
          {prefill && !imported && (
            <Notice className="mb-4">
              Prefilled from the link: {[
                prefill.method && `method ${prefill.method.toUpperCase()}`,
                prefill.base_model && "the base model",
                prefill.dataset_version_id && "the dataset version",
              ]
                .filter(Boolean)
                .join(", ")}{" "}
              are chosen. Check each step, then launch.
            </Notice>
          )}
          {!from && !templateId && <TemplatePicker teamId={team.id} />}
          {!from && !templateId && <ConfigImport key={imported?.count ?? 0} onImported={onImported} />}
          {imported && !from && !templateId && <ImportNotice result={imported.result} />}
          <Wizard
            key={from ?? templateId ?? (imported ? `import-${imported.count}` : (prefillKey ?? "new"))}
            initial={initial}
            info={info.data}
            team={team}
          />
        </>
      )}
    </>
  );
}
