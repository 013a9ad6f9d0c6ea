import { useId, type ReactNode } from "react";
import { cn } from "./cn";

/**
 * A radio button with a title and a description, labelled by the title (getByLabel(title)).
 * A disabled option shows why.
 */
export function RadioCard({
  name,
  value,
  checked,
  onChange,
  title,
  description,
  disabledReason,
}: {
  name: string;
  value: string;
  checked: boolean;
  onChange: (value: string) => void;
  title: string;
  description?: ReactNode;
  disabledReason?: string | null;
}) {
  const id = useId();
  const disabled = Boolean(disabledReason);
  return (
    <div
      className={cn(
        "flex gap-3 rounded-lg border p-3",
        checked ? "border-indigo-500 bg-indigo-50/60 ring-1 ring-indigo-500" : "border-slate-200 bg-white",
        // Not faded with opacity: the title and the reason it is unavailable must stay readable (WCAG contrast).
        disabled && "border-dashed bg-slate-50",
      )}
    >
      <input
        id={id}
        type="radio"
        name={name}
        value={value}
        checked={checked}
        disabled={disabled}
        onChange={() => onChange(value)}
        aria-describedby={`${id}-desc`}
        className="mt-1 size-4 shrink-0 accent-indigo-600"
      />
      <div className="min-w-0">
        <label htmlFor={id} className={cn("block text-sm font-medium", disabled ? "text-slate-600" : "text-slate-900")}>
          {title}
        </label>
        <div id={`${id}-desc`} className="text-sm text-slate-600">
          {description}
          {disabledReason && <p className="text-xs font-medium text-amber-800">Unavailable: {disabledReason}</p>}
        </div>
      </div>
    </div>
  );
}
