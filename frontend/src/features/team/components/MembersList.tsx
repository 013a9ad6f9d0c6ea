import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import type { MemberRead, Role, TeamDetail } from "@/lib/api/types";
import { useChangeRole, useRemoveMember } from "../api/team";
import { grantRefusal, manageRefusal, roleLabels, roles } from "../roles";

/** The team's members and roles; admins change roles and remove members, others see why they cannot. */
export function MembersList({ team, myId }: { team: TeamDetail; myId: string | undefined }) {
  const changeRole = useChangeRole(team.id);
  const remove = useRemoveMember(team.id);
  const owners = team.members.filter((m) => m.role === "owner").length;

  function confirmRemove(member: MemberRead) {
    if (window.confirm(`Remove ${member.display_name} (${member.email}) from ${team.name}? They lose access at once.`)) {
      remove.mutate(member.user_id);
    }
  }

  return (
    <div className="space-y-3">
      <ErrorAlert error={changeRole.error ?? remove.error} />
      <ul className="divide-y divide-slate-100">
        {team.members.map((member) => {
          const isMe = member.user_id === myId;
          const refusal = manageRefusal(team.role, member, owners);
          const removeRefusal = isMe ? "To leave the team, use Leave team below." : refusal;
          return (
            <li key={member.user_id} className="flex flex-wrap items-center gap-3 py-2 text-sm">
              <div className="min-w-0 flex-1">
                <p className="font-medium text-slate-900">
                  {member.display_name}
                  {isMe && <span className="ml-2 text-xs font-normal text-slate-500">you</span>}
                </p>
                <p className="truncate text-xs text-slate-500">{member.email}</p>
              </div>
              <span title={refusal ?? undefined}>
                <select
                  aria-label={`Role of ${member.display_name}`}
                  value={member.role}
                  disabled={refusal !== null || changeRole.isPending}
                  onChange={(e) => changeRole.mutate({ userId: member.user_id, role: e.target.value as Role })}
                  className="rounded-md border-0 bg-white py-1.5 pl-2 pr-8 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 disabled:bg-slate-50 disabled:text-slate-600"
                >
                  {roles.map((r) => (
                    <option key={r} value={r} disabled={r !== member.role && grantRefusal(team.role, r) !== null}>
                      {roleLabels[r]}
                    </option>
                  ))}
                </select>
              </span>
              <span title={removeRefusal ?? undefined}>
                <Button
                  variant="danger"
                  disabled={removeRefusal !== null}
                  pending={remove.isPending && remove.variables === member.user_id}
                  onClick={() => confirmRemove(member)}
                  aria-label={`Remove ${member.display_name}`}
                >
                  Remove
                </Button>
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
