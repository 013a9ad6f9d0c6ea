import { Link, useNavigate, useParams } from "react-router";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice, StatusMessage } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { useLogout } from "@/features/auth";
import { useAcceptInvitation, useDeclineInvitation, useInvitation } from "../api/team";
import { roleHints, roleLabels } from "../roles";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** /invitations/:token — what the link offers, and Accept / Decline for the invited account. */
export function InvitationRoute() {
  const { token = "" } = useParams();
  const navigate = useNavigate();
  const invitation = useInvitation(token);
  const accept = useAcceptInvitation(token);
  const decline = useDeclineInvitation(token);
  const logout = useLogout();

  async function switchAccount() {
    // mutateAsync, not mutate's callbacks: signing out unmounts this page, and the way back must survive it.
    await logout.mutateAsync(undefined).catch(() => undefined);
    void navigate("/login", { replace: true, state: { from: `/invitations/${token}` } });
  }

  const view = invitation.data;
  return (
    <>
      <PageHeader title="Invitation" description="An invitation to join a team on this TuneForge server." />
      {invitation.isPending && <p className="text-sm text-slate-500">Reading the invitation…</p>}
      <ErrorAlert error={invitation.error} />
      {view && (
        <Card title={`Join ${view.team_name}`}>
          <div className="space-y-4 text-sm">
            <dl className="grid grid-cols-[8rem_1fr] gap-y-1">
              <dt className="text-slate-500">Invited by</dt>
              <dd>{view.invited_by ?? "a former member"}</dd>
              <dt className="text-slate-500">For</dt>
              <dd>{view.email}</dd>
              <dt className="text-slate-500">Role</dt>
              <dd>
                {roleLabels[view.role]} — {roleHints[view.role]}
              </dd>
              <dt className="text-slate-500">{view.status === "expired" ? "Expired" : "Expires"}</dt>
              <dd>{dateFormat.format(new Date(view.expires_at))}</dd>
            </dl>
            {accept.isSuccess ? (
              <StatusMessage>
                You joined {accept.data.name} as {accept.data.role}; it is now your active team.{" "}
                <Link className="font-medium underline" to="/datasets">
                  See its datasets
                </Link>
              </StatusMessage>
            ) : view.status === "declined" && decline.isSuccess ? (
              <Notice>You declined the invitation. The link no longer works.</Notice>
            ) : view.can_accept ? (
              <>
                <p>{view.message}</p>
                <div className="flex gap-3">
                  <Button onClick={() => accept.mutate()} pending={accept.isPending} disabled={decline.isPending}>
                    Accept and join
                  </Button>
                  <Button variant="secondary" onClick={() => decline.mutate()} pending={decline.isPending} disabled={accept.isPending}>
                    Decline
                  </Button>
                </div>
              </>
            ) : (
              <>
                <Notice tone="warning">{view.message}</Notice>
                {view.status === "pending" && !view.for_you && (
                  <Button variant="secondary" onClick={switchAccount} pending={logout.isPending}>
                    Sign in with {view.email}
                  </Button>
                )}
                {view.already_member && (
                  <Link className="font-medium text-indigo-700 underline" to="/team">
                    Go to the Team page
                  </Link>
                )}
              </>
            )}
            <ErrorAlert error={accept.error ?? decline.error} />
          </div>
        </Card>
      )}
    </>
  );
}
