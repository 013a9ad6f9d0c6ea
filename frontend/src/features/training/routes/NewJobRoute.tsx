import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { ErrorAlert } from "@/components/ui/Feedback";
import { PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useInfo } from "@/lib/api/get-info";
import { useJobConfig } from "../api/get-job-config";
import { useTemplates } from "../api/list-templates";
import type { JobCreate } from "@/lib/api/types";
import { TemplatePicker } from "../components/wizard/TemplatePicker";
import { Wizard } from "../components/wizard/Wizard";
import { emptyForm, fromConfig } from "../lib/wizard-form";

/** /training/new, optionally prefilled: `?from=<jobId>` (run again with changes) or `?template=<id>`. */
export function NewJobRoute() {
  const [params] = useSearchParams();
  const from = params.get("from");
  const templateId = params.get("template");
  const { team } = useCurrentTeam();
  const info = useInfo();
  const config = useJobConfig(from);
  const templates = useTemplates(templateId ? team?.id : undefined);

  const template = templateId ? templates.data?.find((t) => t.id === templateId) : undefined;
  const error = info.error ?? config.error ?? templates.error ?? (templateId && templates.data && !template ? new Error("That template no longer exists.") : null);
  const source = from ? config.data : templateId ? template?.config : undefined;
  const waiting = !info.data || !team || (from && !config.data) || (templateId && !templates.data);

  const initial = useMemo(() => {
    if (!info.data) return null;
    const bundled = info.data.base_models.map((m) => String(m.name));
    return source ? fromConfig(source as Partial<JobCreate> & Record<string, unknown>, bundled) : emptyForm();
  }, [info.data, source]);

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
          {!from && !templateId && <TemplatePicker teamId={team.id} />}
          <Wizard key={from ?? templateId ?? "new"} initial={initial} info={info.data} team={team} />
        </>
      )}
    </>
  );
}
