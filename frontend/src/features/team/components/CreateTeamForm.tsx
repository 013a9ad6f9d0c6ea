import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { useCreateTeam } from "../api/team";

/** A new shared team, owned by the caller; it becomes the active team. */
export function CreateTeamForm() {
  const [name, setName] = useState("");
  const create = useCreateTeam();
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(name.trim(), { onSuccess: () => setName("") });
  }
  return (
    <form onSubmit={submit} className="space-y-3">
      <div className="flex flex-wrap items-end gap-3">
        <TextField className="min-w-64 flex-1" label="New team name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        <Button type="submit" disabled={!name.trim()} pending={create.isPending}>
          Create team
        </Button>
      </div>
      <ErrorAlert error={create.error} />
    </form>
  );
}
