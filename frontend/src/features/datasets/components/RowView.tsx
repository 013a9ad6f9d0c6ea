import { cn } from "@/components/ui/cn";

type Turn = { role?: unknown; content?: unknown };

const roleStyles: Record<string, string> = {
  system: "bg-slate-100 text-slate-700",
  user: "bg-white text-slate-900 ring-1 ring-inset ring-slate-200",
  assistant: "bg-indigo-50 text-indigo-950",
};

function Text({ value }: { value: unknown }) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return text === "" ? <em className="text-red-700">(empty)</em> : <span className="whitespace-pre-wrap break-words">{text}</span>;
}

function Turns({ turns }: { turns: Turn[] }) {
  return (
    <ol className="space-y-1.5">
      {turns.map((turn, index) => {
        const role = typeof turn.role === "string" ? turn.role : "?";
        return (
          <li key={index} className={cn("rounded-md px-3 py-2 text-sm", roleStyles[role] ?? "bg-amber-50")}>
            <span className="mr-2 text-[11px] font-semibold uppercase tracking-wide text-slate-500">{role}</span>
            <Text value={turn.content} />
          </li>
        );
      })}
    </ol>
  );
}

function Field({ label, value }: { label: string; value: unknown }) {
  return (
    <div className="text-sm">
      <div className="text-[11px] font-semibold uppercase tracking-wide text-slate-500">{label}</div>
      {Array.isArray(value) ? <Turns turns={value as Turn[]} /> : <Text value={value} />}
    </div>
  );
}

/** One canonical row, drawn for its kind (chat turns, prompt/answer, preference pair, KTO label, text). */
export function RowView({ row }: { row: unknown }) {
  if (row === null || typeof row !== "object") return <Text value={row} />;
  const fields = row as Record<string, unknown>;
  if (Array.isArray(fields.messages)) return <Turns turns={fields.messages as Turn[]} />;
  const order = ["prompt", "completion", "chosen", "rejected", "label", "text"];
  const present = order.filter((key) => key in fields);
  if (present.length === 0) return <pre className="overflow-x-auto text-xs">{JSON.stringify(row, null, 2)}</pre>;
  return (
    <div className="space-y-2">
      {present.map((key) => (
        <Field
          key={key}
          label={key}
          value={key === "label" ? (fields.label ? "desirable" : "undesirable") : fields[key]}
        />
      ))}
    </div>
  );
}
