import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice, StatusMessage } from "@/components/ui/Feedback";
import { SelectField } from "@/components/ui/SelectField";
import { TextField } from "@/components/ui/TextField";
import type { InvitationCreated, Role } from "@/lib/api/types";
import { useInvite } from "../api/team";
import { grantRefusal, roleHints, roleLabels, roles } from "../roles";
import { absoluteLink, CopyField } from "./CopyField";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Invite by email with a role; the answer's link is shown once, to copy to the invitee. */
export function InviteForm({
  teamId,
  myRole,
  onCreated,
}: {
  teamId: string;
  myRole: Role;
  onCreated?: (invitation: InvitationCreated) => void;
}) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const invite = useInvite(teamId);
  const created = invite.data;

  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate(
      { email, role, expires_in_days: 7 },
      {
        onSuccess: (invitation) => {
          setEmail("");
          onCreated?.(invitation);
        },
      },
    );
  }

  return (
    <div className="space-y-4">
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-end" noValidate>
        <TextField label="Email" type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
        <SelectField
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          options={roles.map((r) => {
            const refusal = grantRefusal(myRole, r);
            return { value: r, label: refusal ? `${roleLabels[r]} (owners only)` : roleLabels[r], disabled: refusal !== null };
          })}
        />
        <Button type="submit" pending={invite.isPending} disabled={!email.trim()}>
          Create invitation link
        </Button>
      </form>
      <p className="text-xs text-slate-500">
        {roleLabels[role]}: {roleHints[role]}.
      </p>
      <ErrorAlert error={invite.error} />
      {created && (
        <div className="space-y-2">
          <StatusMessage>
            {created.emailed
              ? `Invitation for ${created.email} as ${created.role} created and mailed to them. The link is also here, shown only now: it works once and expires ${dateFormat.format(new Date(created.expires_at))}.`
              : `Invitation for ${created.email} as ${created.role} created. Copy the link and send it to them: it is shown only now, works once, and expires ${dateFormat.format(new Date(created.expires_at))}.`}
          </StatusMessage>
          {created.email_problem && (
            <Notice tone="warning">The mail was not sent: {created.email_problem} Copy the link below and send it yourself.</Notice>
          )}
          <CopyField label={`Invitation link for ${created.email}`} value={absoluteLink(created.link)} />
        </div>
      )}
    </div>
  );
}
