import { Checkbox } from "@/components/ui/Checkbox";
import { SelectField } from "@/components/ui/SelectField";
import type { ModelVersionSummary } from "@/lib/api/types";

/** Side B: none, the base model side A was trained from, or another version. */
export type SideB = "" | "base" | string;

export function versionName(v: Pick<ModelVersionSummary, "model_name" | "number" | "tags" | "archived">): string {
  const tags = v.tags.length ? ` (${v.tags.join(", ")})` : "";
  return `${v.model_name} v${v.number}${tags}${v.archived ? " · archived" : ""}`;
}

export function SidesPicker({
  versions,
  sideA,
  sideB,
  blind,
  onChange,
}: {
  versions: ModelVersionSummary[];
  sideA: string;
  sideB: SideB;
  blind: boolean;
  onChange: (patch: { sideA?: string; sideB?: SideB; blind?: boolean }) => void;
}) {
  const a = versions.find((v) => v.id === sideA);
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <SelectField
        label="Side A: model version"
        value={sideA}
        onChange={(e) => onChange({ sideA: e.target.value, ...(sideB === e.target.value ? { sideB: "" } : {}) })}
        options={versions.map((v) => ({ value: v.id, label: versionName(v) }))}
      />
      <SelectField
        label="Side B (optional)"
        hint="Answer the same message with a second model, side by side."
        value={sideB}
        onChange={(e) => onChange({ sideB: e.target.value, ...(e.target.value ? {} : { blind: false }) })}
        options={[
          { value: "", label: "None: one answer" },
          { value: "base", label: `Its base model${a ? ` (${a.base_model})` : ""}` },
          ...versions.filter((v) => v.id !== sideA).map((v) => ({ value: v.id, label: versionName(v) })),
        ]}
      />
      <div className="md:col-span-2">
        {sideB ? (
          <Checkbox
            label="Blind"
            hint="Show the sides as Answer A and Answer B, without model names, until you pick the better one."
            checked={blind}
            onChange={(checked) => onChange({ blind: checked })}
          />
        ) : (
          <p className="text-xs text-slate-600">Choose a side B to compare two answers (blind if you like).</p>
        )}
      </div>
    </div>
  );
}
