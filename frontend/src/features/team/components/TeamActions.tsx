import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { SelectField } from "@/components/ui/SelectField";
import { TextField } from "@/components/ui/TextField";
import type { TeamDetail } from "@/lib/api/types";
import { useDeleteTeam, useHandOver, useLeaveTeam, useRenameTeam } from "../api/team";
import { atLeast } from "../roles";

function Reasoned({ reason, children }: { reason: string | null; children: React.ReactNode }) {
  return <span title={reason ?? undefined}>{children}</span>;
}

/** Rename (admin+), hand over and delete (owner), leave (anyone but the personal team's and the last owner). */
export function TeamActions({ team, myId }: { team: TeamDetail; myId: string | undefined }) {
  const [name, setName] = useState(team.name);
  const [heir, setHeir] = useState("");
  const rename = useRenameTeam(team.id);
  const handOver = useHandOver(team.id);
  const remove = useDeleteTeam(team.id);
  const leave = useLeaveTeam(team.id);

  const isOwner = team.role === "owner";
  const owners = team.members.filter((m) => m.role === "owner").length;
  const others = team.members.filter((m) => m.user_id !== myId);
  const renameReason = atLeast(team.role, "admin") ? null : `Only admins and owners rename the team; you are a ${team.role}.`;
  const ownerReason = isOwner ? null : `Only an owner can do this; you are a ${team.role}.`;
  const personalReason = team.personal ? "Your personal team stays with your account." : null;
  const deleteReason = ownerReason ?? personalReason;
  const handOverReason = ownerReason ?? personalReason ?? (others.length === 0 ? "Invite someone first: there is nobody to hand the team over to." : null);
  const leaveReason =
    team.personal && isOwner
      ? "Your personal team stays with your account."
      : isOwner && owners <= 1
        ? "You are the only owner: hand the team over (or delete it) first."
        : null;

  function submitRename(event: FormEvent) {
    event.preventDefault();
    rename.mutate(name.trim());
  }

  function submitHandOver(event: FormEvent) {
    event.preventDefault();
    const member = others.find((m) => m.user_id === heir);
    if (member && window.confirm(`Hand ${team.name} over to ${member.display_name}? They become owner and you become an admin.`)) {
      handOver.mutate(member.user_id);
    }
  }

  function confirmDelete() {
    if (window.confirm(`Delete ${team.name} with all its datasets, jobs and models? This cannot be undone.`)) remove.mutate();
  }

  function confirmLeave() {
    if (window.confirm(`Leave ${team.name}? You lose access to its data until someone invites you again.`)) leave.mutate();
  }

  return (
    <div className="space-y-6">
      <form onSubmit={submitRename} className="flex flex-wrap items-end gap-3">
        <TextField
          className="min-w-64 flex-1"
          label="Team name"
          value={name}
          maxLength={100}
          disabled={renameReason !== null}
          title={renameReason ?? undefined}
          onChange={(e) => setName(e.target.value)}
        />
        <Reasoned reason={renameReason}>
          <Button type="submit" variant="secondary" disabled={renameReason !== null || !name.trim() || name.trim() === team.name} pending={rename.isPending}>
            Rename
          </Button>
        </Reasoned>
      </form>
      <ErrorAlert error={rename.error} />
      {rename.isSuccess && <StatusMessage>Renamed to {rename.data.name}.</StatusMessage>}

      <form onSubmit={submitHandOver} className="flex flex-wrap items-end gap-3">
        <SelectField
          className="min-w-64 flex-1"
          label="Hand over ownership to"
          value={heir}
          disabled={handOverReason !== null}
          title={handOverReason ?? undefined}
          onChange={(e) => setHeir(e.target.value)}
          options={[{ value: "", label: "Choose a member" }, ...others.map((m) => ({ value: m.user_id, label: `${m.display_name} (${m.email})` }))]}
        />
        <Reasoned reason={handOverReason}>
          <Button type="submit" variant="secondary" disabled={handOverReason !== null || !heir} pending={handOver.isPending}>
            Hand over
          </Button>
        </Reasoned>
      </form>
      <ErrorAlert error={handOver.error} />

      <div className="flex flex-wrap gap-3">
        <Reasoned reason={leaveReason}>
          <Button variant="secondary" disabled={leaveReason !== null} pending={leave.isPending} onClick={confirmLeave}>
            Leave team
          </Button>
        </Reasoned>
        <Reasoned reason={deleteReason}>
          <Button variant="danger" disabled={deleteReason !== null} pending={remove.isPending} onClick={confirmDelete}>
            Delete team
          </Button>
        </Reasoned>
      </div>
      <ErrorAlert error={leave.error ?? remove.error} />
    </div>
  );
}
