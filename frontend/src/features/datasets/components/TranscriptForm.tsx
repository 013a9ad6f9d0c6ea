import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { useChangeMapping } from "../api/change-mapping";
import type { VersionFormProps } from "./version-form";

type Pattern = string | { regex: string };
const ROLES = [
  { role: "user", label: "User turns start with", placeholder: "**Me:**\n/^Q\\d*:/" },
  { role: "assistant", label: "Assistant turns start with", placeholder: "**Bot:**\n/^A\\d*:/" },
  { role: "system", label: "System turns start with (optional)", placeholder: "System:" },
] as const;

/** One pattern per line: text is a literal line start; /…/ is a regular expression. */
function parse(text: string): Pattern[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => (line.length > 2 && line.startsWith("/") && line.endsWith("/") ? { regex: line.slice(1, -1) } : line));
}

function unparse(patterns: Pattern[] | undefined): string {
  return (patterns ?? []).map((p) => (typeof p === "string" ? p : `/${p.regex}/`)).join("\n");
}

/** Turn uploaded markdown/text transcripts into chat rows, with the speaker labels the user names. */
export function TranscriptForm({
  teamId,
  version,
  onNewVersion,
}: VersionFormProps) {
  const saved = (version.options ?? {}) as { participants?: Record<string, Pattern[]>; conversation_separator?: Pattern };
  const [patterns, setPatterns] = useState<Record<string, string>>(() =>
    Object.fromEntries(ROLES.map(({ role }) => [role, unparse(saved.participants?.[role])])),
  );
  const [separator, setSeparator] = useState(saved.conversation_separator ? unparse([saved.conversation_separator]) : "");
  const [clientError, setClientError] = useState<string | null>(null);
  const changeMapping = useChangeMapping();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const participants = Object.fromEntries(ROLES.map(({ role }) => [role, parse(patterns[role] ?? "")]).filter(([, p]) => p.length));
    const problem = !participants.user || !participants.assistant ? "Give at least one pattern for the user and one for the assistant." : null;
    setClientError(problem);
    if (problem) return;
    const [split] = parse(separator);
    changeMapping.mutate(
      {
        teamId,
        datasetId: version.dataset_id,
        versionId: version.id,
        options: { participants, conversation_separator: split ?? null },
      },
      { onSuccess: onNewVersion },
    );
  }

  return (
    <form onSubmit={submit} className="space-y-3" noValidate>
      <h3 className="text-sm font-semibold text-slate-900">Read as chat transcripts</h3>
      <p className="text-sm text-slate-600">
        A line that starts with one of a speaker's labels opens that speaker's turn; the lines after it belong to the
        turn. One label per line; write <code>/…/</code> for a regular expression matched at the line start.
      </p>
      <div className="grid gap-3 md:grid-cols-3">
        {ROLES.map(({ role, label, placeholder }) => (
          <div key={role} className="space-y-1">
            <label htmlFor={`speaker-${role}-${version.id}`} className="block text-sm font-medium text-slate-800">
              {label}
            </label>
            <textarea
              id={`speaker-${role}-${version.id}`}
              rows={3}
              value={patterns[role]}
              placeholder={placeholder}
              onChange={(e) => setPatterns((all) => ({ ...all, [role]: e.target.value }))}
              className="block w-full rounded-md border-0 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
            />
          </div>
        ))}
      </div>
      <TextField
        label="Conversation separator (optional)"
        placeholder="---"
        value={separator}
        onChange={(e) => setSeparator(e.target.value)}
        hint="A line starting with this ends one conversation and starts the next; without it each file is one conversation."
        className="max-w-md"
      />
      <ErrorAlert error={clientError ?? changeMapping.error} />
      <Button type="submit" variant="secondary" pending={changeMapping.isPending}>
        Read as transcripts
      </Button>
    </form>
  );
}
