import { useState } from "react";
import { Link } from "react-router";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import type { InvitationCreated } from "@/lib/api/types";
import { setCurrentTeamId, useCurrentTeam } from "@/lib/auth/current-team";
import { useMe } from "@/lib/auth/me";
import { useTeam } from "../api/team";
import { CreateTeamForm } from "../components/CreateTeamForm";
import { InviteForm } from "../components/InviteForm";
import { MembersList } from "../components/MembersList";
import { PendingInvitations } from "../components/PendingInvitations";
import { SsoOnlySetting } from "../components/SsoOnlySetting";
import { TeamActions } from "../components/TeamActions";
import { TeamCredentials } from "../components/TeamCredentials";
import { UsageQuotas } from "../components/UsageQuotas";
import { atLeast, roleLabels } from "../roles";

export function TeamRoute() {
  const me = useMe();
  const { team: current } = useCurrentTeam();
  const detail = useTeam(current?.id);
  // Links are shown once by the API: the ones made on this page can be copied again until it is left.
  const [links, setLinks] = useState<Record<string, string>>({});
  const remember = (invitation: InvitationCreated) => setLinks((all) => ({ ...all, [invitation.id]: invitation.link }));
  const teams = me.data?.teams ?? [];
  const team = detail.data;
  const isAdmin = atLeast(team?.role, "admin");

  return (
    <>
      <PageHeader
        title="Team"
        description="Every dataset, job and model belongs to a team. Invite people and give each a role: owners and admins manage members, members upload data and launch training, viewers follow runs and results."
        actions={
          isAdmin ? (
            <Link to="/team/audit" className="text-sm font-medium text-indigo-700 hover:underline">
              Audit log
            </Link>
          ) : undefined
        }
      />
      <div className="space-y-6">
        {current && detail.isPending && <p className="text-sm text-slate-500">Loading the team…</p>}
        <ErrorAlert error={detail.error} />
        {team && (
          <>
            <Card
              title={`Members of ${team.name}`}
              description={
                <>
                  You are {team.role === "admin" || team.role === "owner" ? "an" : "a"} {roleLabels[team.role].toLowerCase()}
                  {team.personal ? " of your personal team." : "."}
                </>
              }
            >
              <MembersList team={team} myId={me.data?.id} />
            </Card>
            {isAdmin ? (
              <>
                <Card title="Invite someone" description="No email is sent: you copy the link and pass it on. It works once, for that email's account.">
                  <InviteForm teamId={team.id} myRole={team.role} onCreated={remember} />
                </Card>
                <Card title="Pending invitations">
                  <PendingInvitations teamId={team.id} links={links} onCreated={remember} />
                </Card>
              </>
            ) : (
              <p className="text-sm text-slate-600" title="Invitations need the admin role">
                Only admins and owners invite people and see pending invitations; you are a {team.role}.
              </p>
            )}
            <Card
              title="Usage and quotas"
              description="What the team uses against its limits. A launch or upload past a limit is refused, naming who can raise it."
            >
              <UsageQuotas key={team.id} teamId={team.id} role={team.role} />
            </Card>
            <Card
              title="Team credentials"
              description="Tokens and an Ollama server for the whole team, used by members who have none of their own. Secrets are never shown again."
            >
              <TeamCredentials key={team.id} teamId={team.id} role={team.role} canEdit={isAdmin} />
            </Card>
            <SsoOnlySetting key={`sso-${team.id}`} teamId={team.id} canEdit={isAdmin} />
            <Card title="Team settings">
              <TeamActions key={team.id} team={team} myId={me.data?.id} />
            </Card>
          </>
        )}
        {teams.length > 0 && (
          <Card title="Your teams" description="The active team's data is what every page shows; switch in the navigation or here.">
            <ul className="divide-y divide-slate-100">
              {teams.map((t) => (
                <li key={t.id} className="flex items-center justify-between gap-3 py-2 text-sm">
                  <span className="font-medium text-slate-900">
                    {t.name}
                    {t.personal && <span className="ml-2 text-xs font-normal text-slate-500">personal</span>}
                  </span>
                  <span className="flex items-center gap-3">
                    <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">{roleLabels[t.role]}</span>
                    {t.id === current?.id ? (
                      <span className="text-xs text-indigo-700">active</span>
                    ) : (
                      <Button variant="secondary" onClick={() => setCurrentTeamId(t.id)} aria-label={`Switch to ${t.name}`}>
                        Switch
                      </Button>
                    )}
                  </span>
                </li>
              ))}
            </ul>
          </Card>
        )}
        <Card title="Create a team" description="A shared team for a group: you become its owner and can invite others.">
          <CreateTeamForm />
        </Card>
      </div>
    </>
  );
}
