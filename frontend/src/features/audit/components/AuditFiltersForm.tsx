import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { SelectField } from "@/components/ui/SelectField";
import { TextField } from "@/components/ui/TextField";
import { noFilters, type AuditFilters } from "../api/audit";

const actions = [
  { value: "", label: "All actions" },
  { value: "auth.", label: "Sign-ins and account" },
  { value: "auth.sign_in", label: "Sign-ins only" },
  { value: "token.", label: "API tokens" },
  { value: "credential.", label: "Credentials" },
  { value: "team.", label: "Team" },
  { value: "invitation.", label: "Invitations" },
  { value: "member.", label: "Members and roles" },
  { value: "dataset.", label: "Datasets" },
  { value: "job.", label: "Jobs" },
  { value: "model_version.", label: "Model versions" },
  { value: "publication.", label: "Publications" },
  { value: "quota.", label: "Quotas" },
];

const outcomes = [
  { value: "", label: "Any outcome" },
  { value: "success", label: "Success" },
  { value: "failure", label: "Failure" },
  { value: "refused", label: "Refused" },
];

/** The filters apply when the form is submitted, not on each keystroke: each change is a query. */
export function AuditFiltersForm({ value, onApply }: { value: AuditFilters; onApply: (filters: AuditFilters) => void }) {
  const [draft, setDraft] = useState<AuditFilters>(value);
  const set = (field: keyof AuditFilters) => (event: { target: { value: string } }) =>
    setDraft((current) => ({ ...current, [field]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const clear = () => {
    setDraft(noFilters);
    onApply(noFilters);
  };
  return (
    <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2 lg:grid-cols-5" aria-label="Filter the audit log">
      <SelectField label="Action" options={actions} value={draft.action} onChange={set("action")} />
      <TextField label="Actor" placeholder="email or user id" value={draft.actor} onChange={set("actor")} />
      <SelectField label="Outcome" options={outcomes} value={draft.outcome} onChange={set("outcome")} />
      <TextField label="From" type="date" value={draft.from} onChange={set("from")} />
      <TextField label="To" type="date" value={draft.to} onChange={set("to")} hint="both days included (UTC)" />
      <div className="flex gap-2 sm:col-span-2 lg:col-span-5">
        <Button type="submit">Apply filters</Button>
        <Button variant="secondary" onClick={clear}>
          Clear
        </Button>
      </div>
    </form>
  );
}
