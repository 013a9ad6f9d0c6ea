import { useId } from "react";
import { lastDays, type Period } from "../api/get-analytics";

const PRESETS = [7, 30, 90, 365] as const;

/** The analytics period: two dates (UTC days, both included) and the usual presets. */
export function PeriodPicker({ period, onChange }: { period: Period; onChange: (period: Period) => void }) {
  const fromId = useId();
  const toId = useId();
  const input =
    "mt-1 block rounded-md border-0 px-2 py-1.5 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600";
  return (
    <div className="flex flex-wrap items-end gap-3" role="group" aria-label="Period">
      <div>
        <label htmlFor={fromId} className="text-xs font-medium text-slate-600">
          From
        </label>
        <input
          id={fromId}
          type="date"
          className={input}
          value={period.from}
          max={period.to}
          onChange={(e) => e.target.value && onChange({ ...period, from: e.target.value })}
        />
      </div>
      <div>
        <label htmlFor={toId} className="text-xs font-medium text-slate-600">
          To
        </label>
        <input
          id={toId}
          type="date"
          className={input}
          value={period.to}
          min={period.from}
          onChange={(e) => e.target.value && onChange({ ...period, to: e.target.value })}
        />
      </div>
      <div className="flex flex-wrap gap-1">
        {PRESETS.map((days) => {
          const preset = lastDays(days);
          const active = preset.from === period.from && preset.to === period.to;
          return (
            <button
              key={days}
              type="button"
              aria-pressed={active}
              onClick={() => onChange(preset)}
              className={`rounded-md px-2 py-1.5 text-xs font-medium ring-1 ring-inset ring-slate-300 ${
                active ? "bg-indigo-50 text-indigo-800" : "bg-white text-slate-700 hover:bg-slate-50"
              }`}
            >
              Last {days} days
            </button>
          );
        })}
      </div>
    </div>
  );
}
