import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import type { InvitationCreated, InvitationRead } from "@/lib/api/types";
import { useInvitations, useInvite, useRevokeInvitation } from "../api/team";
import { roleLabels } from "../roles";
import { absoluteLink, CopyField } from "./CopyField";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** Open invitations. A link is shown once, so only the links made on this page can be copied again;
 * for the others, "New link" invites the same address again (the old link stops working). */
export function PendingInvitations({
  teamId,
  links,
  onCreated,
}: {
  teamId: string;
  links: Record<string, string>;
  onCreated: (invitation: InvitationCreated) => void;
}) {
  const invitations = useInvitations(teamId, true);
  const revoke = useRevokeInvitation(teamId);
  const again = useInvite(teamId);

  if (invitations.isPending) return <p className="text-sm text-slate-500">Loading invitations…</p>;
  if (invitations.error) return <ErrorAlert error={invitations.error} />;
  if (invitations.data.length === 0) return <p className="text-sm text-slate-600">No pending invitations.</p>;

  function renew(invitation: InvitationRead) {
    again.mutate({ email: invitation.email, role: invitation.role, expires_in_days: 7 }, { onSuccess: onCreated });
  }

  return (
    <div className="space-y-3">
      <ErrorAlert error={revoke.error ?? again.error} />
      <ul className="divide-y divide-slate-100">
        {invitations.data.map((invitation) => {
          const link = links[invitation.id];
          return (
            <li key={invitation.id} className="space-y-2 py-2 text-sm">
              <div className="flex flex-wrap items-center gap-3">
                <div className="min-w-0 flex-1">
                  <p className="font-medium text-slate-900">{invitation.email}</p>
                  <p className="text-xs text-slate-500">
                    {roleLabels[invitation.role]} ·{" "}
                    {invitation.status === "expired"
                      ? `expired ${dateFormat.format(new Date(invitation.expires_at))}`
                      : `expires ${dateFormat.format(new Date(invitation.expires_at))}`}
                    {invitation.invited_by && ` · invited by ${invitation.invited_by}`}
                  </p>
                </div>
                {!link && (
                  <span title="A link is shown only when it is made. This makes a new one; the old link stops working.">
                    <Button variant="secondary" onClick={() => renew(invitation)} pending={again.isPending && again.variables?.email === invitation.email}>
                      New link
                    </Button>
                  </span>
                )}
                <Button
                  variant="danger"
                  onClick={() => revoke.mutate(invitation.id)}
                  pending={revoke.isPending && revoke.variables === invitation.id}
                  aria-label={`Revoke the invitation for ${invitation.email}`}
                >
                  Revoke
                </Button>
              </div>
              {link && <CopyField label={`Invitation link for ${invitation.email}`} value={absoluteLink(link)} />}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
