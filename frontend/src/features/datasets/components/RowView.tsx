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

const SUMMARY_CHARS = 240;

function oneLine(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value))
    return value
      .map((turn: Turn) => (turn && typeof turn === "object" ? `${String(turn.role ?? "?")}: ${oneLine(turn.content)}` : oneLine(turn)))
      .join(" · ");
  return value === undefined ? "" : JSON.stringify(value);
}

/** A row in one line, for the compact preview: turns as "role: text", prompt → answer, chosen/rejected. */
export function rowSummary(row: unknown): string {
  let text: string;
  if (row !== null && typeof row === "object" && !Array.isArray(row)) {
    const fields = row as Record<string, unknown>;
    if (Array.isArray(fields.messages)) text = oneLine(fields.messages);
    else if ("chosen" in fields)
      text = `${oneLine(fields.prompt)} → chosen: ${oneLine(fields.chosen)} · rejected: ${oneLine(fields.rejected)}`;
    else if ("completion" in fields)
      text = `${oneLine(fields.prompt)} → ${oneLine(fields.completion)}${"label" in fields ? (fields.label ? " (desirable)" : " (undesirable)") : ""}`;
    else if ("text" in fields) text = oneLine(fields.text);
    else text = JSON.stringify(row);
  } else {
    text = oneLine(row);
  }
  text = text.replace(/\s+/g, " ").trim();
  return text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS - 1)}…` : text || "(empty)";
}
