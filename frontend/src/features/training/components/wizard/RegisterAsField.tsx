import { RadioCard } from "@/components/ui/RadioCard";
import { SelectField } from "@/components/ui/SelectField";
import { useTeamModels } from "../../api/list-models";
import type { WizardForm } from "../../lib/wizard-form";

/** "Save the result as": a new model (named after the job), or a new version of a registered model. */
export function RegisterAsField({
  teamId,
  form,
  update,
}: {
  teamId: string;
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
}) {
  const models = useTeamModels(teamId).data ?? [];
  const register = form.register_as;
  const newName = register.model_name.trim() || form.name.trim();
  return (
    <fieldset>
      <legend className="mb-2 text-sm font-semibold text-slate-900">Save the result as</legend>
      <div className="grid gap-2 md:grid-cols-2">
        <RadioCard
          name="register-as"
          value="new"
          checked={register.mode === "new"}
          onChange={() => update({ register_as: { ...register, mode: "new" } })}
          title="A new model"
          description={newName ? `Named “${newName}”.` : "Named after the job."}
        />
        <RadioCard
          name="register-as"
          value="existing"
          checked={register.mode === "existing"}
          onChange={() =>
            update({ register_as: { ...register, mode: "existing", model_id: register.model_id || models[0]?.id || "" } })
          }
          title="A new version of a model"
          description="Adds the next version to a model on the Models page."
          disabledReason={models.length ? null : "No model yet: each finished job adds one."}
        />
      </div>
      {register.mode === "existing" && (
        <SelectField
          label="Model"
          className="mt-3"
          value={register.model_id}
          onChange={(e) => update({ register_as: { ...register, model_id: e.target.value } })}
          options={[
            ...(register.model_id ? [] : [{ value: "", label: "Choose a model" }]),
            ...models.map((m) => ({
              value: m.id,
              label: `${m.name}${m.latest ? ` (latest v${m.latest.number})` : ""}`,
            })),
          ]}
        />
      )}
    </fieldset>
  );
}
