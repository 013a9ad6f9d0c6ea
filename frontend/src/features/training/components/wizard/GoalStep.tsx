import { RadioCard } from "@/components/ui/RadioCard";
import { adapterDisabledReason, methodDisabledReason, type AdapterInfo, type MethodInfo } from "../../lib/compat";
import { ADAPTER_HELP } from "../../lib/explanations";
import type { WizardForm } from "../../lib/wizard-form";

export function GoalStep({
  form,
  update,
  methods,
  adapters,
}: {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
  methods: MethodInfo[];
  adapters: AdapterInfo[];
}) {
  const method = methods.find((m) => m.name === form.method);
  function chooseMethod(name: string) {
    const next = methods.find((m) => m.name === name);
    const adapterOk = adapters.find((a) => a.name === form.adapter && !adapterDisabledReason(next, a));
    const fallback = adapters.find((a) => !adapterDisabledReason(next, a));
    update({ method: name, adapter: adapterOk ? form.adapter : (fallback?.name ?? form.adapter) });
  }
  return (
    <div className="space-y-6">
      <fieldset>
        <legend className="text-sm font-semibold text-slate-900">Method</legend>
        <p className="mb-2 text-xs text-slate-500">What kind of training: this decides which datasets fit.</p>
        <div className="grid gap-2 md:grid-cols-2">
          {methods.map((m) => (
            <RadioCard
              key={m.name}
              name="method"
              value={m.name}
              checked={form.method === m.name}
              onChange={chooseMethod}
              // Titles and sentences come from the training library's method catalogue (/api/info).
              title={m.title ?? m.name.toUpperCase()}
              description={m.help ?? m.description}
              disabledReason={methodDisabledReason(m)}
            />
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend className="text-sm font-semibold text-slate-900">Adapter</legend>
        <p className="mb-2 text-xs text-slate-500">Which weights change.</p>
        <div className="grid gap-2 md:grid-cols-3">
          {adapters.map((a) => {
            const reason = adapterDisabledReason(method, a);
            return (
              <RadioCard
                key={a.name}
                name="adapter"
                value={a.name}
                checked={form.adapter === a.name}
                onChange={(adapter) => update({ adapter })}
                title={ADAPTER_HELP[a.name]?.title ?? a.name}
                description={
                  <>
                    {ADAPTER_HELP[a.name]?.sentence}
                    {!reason && a.reason && <span className="block text-xs text-slate-600">Note: {a.reason}</span>}
                  </>
                }
                disabledReason={reason}
              />
            );
          })}
        </div>
      </fieldset>
    </div>
  );
}
