import { RadioCard } from "@/components/ui/RadioCard";
import { SelectField } from "@/components/ui/SelectField";
import type { BaseModelInfo, JobRead } from "@/lib/api/types";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useTeamModelVersions } from "@/lib/api/list-model-versions";
import type { BaseModelSource, WizardForm } from "../../lib/wizard-form";
import { FolderPicker } from "./FolderPicker";
import { HubModelSearch } from "./HubModelSearch";

export function BaseModelStep({
  form,
  update,
  bundled,
  previousJobs,
}: {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
  bundled: BaseModelInfo[];
  previousJobs: JobRead[];
}) {
  const outputs = previousJobs
    .map((job) => ({ job, dir: (job.result as { output_dir?: string } | undefined)?.output_dir }))
    .filter((entry): entry is { job: JobRead; dir: string } => Boolean(entry.dir));
  const { team } = useCurrentTeam();
  // The team's model versions (the registry): "continue from v3" names `version:<id>`.
  const versions = (useTeamModelVersions(team?.id).data ?? []).map((v) => ({ ...v, reference: `version:${v.id}` }));
  function setSource(source: string) {
    const s = source as BaseModelSource;
    const base_model =
      s === "bundled"
        ? (bundled.find((b) => b.available !== false)?.name ?? "")
        : s === "job"
          ? (outputs[0]?.dir ?? "")
          : s === "version"
            ? (versions[0]?.reference ?? "")
            : "";
    update({ baseModelSource: s, base_model });
  }
  const sources: { value: BaseModelSource; title: string; description: string; reason?: string | null }[] = [
    { value: "bundled", title: "A bundled model", description: "Ships with TuneForge and works offline." },
    { value: "folder", title: "A registered folder", description: "A model folder the administrator registered on the server." },
    {
      value: "job",
      title: "A previous job's output",
      description: "Keep training what an earlier job produced.",
      reason: outputs.length ? null : "No finished job has an output folder yet.",
    },
    {
      value: "version",
      title: "A model version",
      description: "Continue from a version on the Models page (its lineage is kept).",
      reason: versions.length ? null : "No model version yet: each finished job adds one.",
    },
    { value: "hub", title: "A Hugging Face Hub model", description: "Search the Hub or type an id (needs network)." },
  ];
  return (
    <div className="space-y-6">
      <fieldset>
        <legend className="mb-2 text-sm font-semibold text-slate-900">Where the base model comes from</legend>
        <div className="grid gap-2 md:grid-cols-2">
          {sources.map((s) => (
            <RadioCard
              key={s.value}
              name="base-source"
              value={s.value}
              checked={form.baseModelSource === s.value}
              onChange={setSource}
              title={s.title}
              description={s.description}
              disabledReason={s.reason}
            />
          ))}
        </div>
      </fieldset>
      {form.baseModelSource === "bundled" && (
        <fieldset>
          <legend className="mb-2 text-sm font-semibold text-slate-900">Bundled model</legend>
          <div className="grid gap-2 md:grid-cols-2">
            {bundled.map((b) => (
              <RadioCard
                key={b.name}
                name="bundled-model"
                value={b.name}
                checked={form.base_model === b.name}
                onChange={(base_model) => update({ base_model })}
                title={b.name}
                description={b.description}
                disabledReason={b.available === false ? "Not prepared on this installation." : null}
              />
            ))}
          </div>
        </fieldset>
      )}
      {form.baseModelSource === "folder" && (
        <FolderPicker value={form.base_model} onChange={(base_model) => update({ base_model })} />
      )}
      {form.baseModelSource === "job" && (
        <SelectField
          label="Previous job"
          value={form.base_model}
          onChange={(e) => update({ base_model: e.target.value })}
          options={outputs.map(({ job, dir }) => ({ value: dir, label: `${job.name} (${job.base_model})` }))}
        />
      )}
      {form.baseModelSource === "version" && (
        <SelectField
          label="Model version"
          value={form.base_model}
          onChange={(e) => update({ base_model: e.target.value })}
          options={versions.map((v) => ({
            value: v.reference,
            label: `Continue from ${v.model_name} v${v.number}${v.tags.length ? ` (${v.tags.join(", ")})` : ""}`,
          }))}
        />
      )}
      {form.baseModelSource === "hub" && (
        <HubModelSearch value={form.base_model} onChange={(base_model) => update({ base_model })} />
      )}
    </div>
  );
}
