import { Checkbox } from "@/components/ui/Checkbox";
import { ErrorAlert, Notice } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { useSetTeamSso, useTeamSso } from "../api/sso";

/**
 * The team's "SSO only" setting: members then reach the team only from a single sign-on session (password
 * sessions and API tokens get 403). Owners and admins change it; everyone sees it. Hidden where single
 * sign-on is not set up and the team does not require it.
 */
export function SsoOnlySetting({ teamId, canEdit }: { teamId: string; canEdit: boolean }) {
  const sso = useTeamSso(teamId);
  const change = useSetTeamSso(teamId);
  const data = sso.data;
  if (!data || (!data.sso_available && !data.sso_only)) return null;
  const hint = `Members must sign in with ${data.label} to reach this team; password sign-ins and API tokens are refused.`;
  return (
    <Card title="Single sign-on" description="Require members to sign in through your organisation's identity provider.">
      {canEdit ? (
        <div className="space-y-3">
          <Checkbox
            label="SSO only"
            hint={hint}
            checked={data.sso_only}
            onChange={(checked) => change.mutate(checked)}
          />
          {!data.sso_only && data.session_via !== "sso" && (
            <Notice>
              To turn this on, sign out and sign in with {data.label} first: this session used a password and would be
              locked out.
            </Notice>
          )}
          <ErrorAlert error={change.error} />
        </div>
      ) : (
        <p className="text-sm text-slate-700">
          {data.sso_only ? `This team requires signing in with ${data.label}.` : "This team does not require single sign-on."}{" "}
          Owners and admins change this.
        </p>
      )}
    </Card>
  );
}
