import { useId, useState } from "react";
import { cn } from "@/components/ui/cn";
import { TextAreaField } from "@/components/ui/TextAreaField";
import { TextField } from "@/components/ui/TextField";
import { NUMBER_FIELDS, type NumberSetting, type PlaygroundSettings } from "../lib/settings";

/** How the models answer. On a phone the panel folds away behind a button. */
export function SettingsPanel({
  settings,
  errors,
  onChange,
}: {
  settings: PlaygroundSettings;
  errors: Partial<Record<keyof PlaygroundSettings, string>>;
  onChange: (patch: Partial<PlaygroundSettings>) => void;
}) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const invalid = Object.keys(errors).length > 0;
  const number = (name: NumberSetting) => {
    const f = NUMBER_FIELDS[name];
    return (
      <TextField
        label={f.label}
        hint={f.hint}
        inputMode={f.integer ? "numeric" : "decimal"}
        value={settings[name]}
        error={errors[name]}
        onChange={(e) => onChange({ [name]: e.target.value })}
      />
    );
  };
  return (
    <section aria-labelledby={`${panelId}-title`} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <div className="flex items-center justify-between gap-2">
        <h2 id={`${panelId}-title`} className="text-base font-semibold text-slate-900">
          Settings
        </h2>
        <button
          type="button"
          className="rounded-md px-2 py-1 text-sm font-medium text-indigo-700 hover:bg-indigo-50 md:hidden"
          aria-expanded={open}
          aria-controls={panelId}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? "Hide settings" : "Show settings"}
        </button>
      </div>
      {invalid && !open && <p className="mt-1 text-xs text-red-700 md:hidden">Some settings need fixing.</p>}
      <div id={panelId} className={cn("mt-3 gap-4 sm:grid-cols-2 md:grid", open ? "grid" : "hidden")}>
        <TextAreaField
          className="sm:col-span-2"
          label="System prompt"
          hint="Put before the conversation; empty: none."
          rows={2}
          value={settings.system}
          error={errors.system}
          onChange={(e) => onChange({ system: e.target.value })}
        />
        {number("temperature")}
        {number("top_p")}
        {number("max_new_tokens")}
        {number("seed")}
        <TextAreaField
          className="sm:col-span-2"
          label="Stop strings"
          hint="Comma-separated or one per line; the answer ends before one. Write \n for a line break."
          rows={2}
          value={settings.stop}
          error={errors.stop}
          onChange={(e) => onChange({ stop: e.target.value })}
        />
      </div>
    </section>
  );
}
