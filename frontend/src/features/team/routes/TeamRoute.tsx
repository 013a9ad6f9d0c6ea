import { EmptyState } from "@/components/ui/EmptyState";
import { Card, PageHeader } from "@/components/ui/Page";
import { useMe } from "@/lib/auth/me";

const roleLabels = { owner: "Owner", admin: "Admin", member: "Member", viewer: "Viewer" } as const;

export function TeamRoute() {
  const me = useMe();
  const teams = me.data?.teams ?? [];
  return (
    <>
      <PageHeader title="Team" description="Every dataset, job and model belongs to a team." />
      <div className="space-y-6">
        {teams.length > 0 && (
          <Card title="Your teams">
            <ul className="divide-y divide-slate-100">
              {teams.map((team) => (
                <li key={team.id} className="flex items-center justify-between py-2 text-sm">
                  <span className="font-medium text-slate-900">
                    {team.name}
                    {team.personal && <span className="ml-2 text-xs font-normal text-slate-500">personal</span>}
                  </span>
                  <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">
                    {roleLabels[team.role]}
                  </span>
                </li>
              ))}
            </ul>
          </Card>
        )}
        <EmptyState title="No teammates yet">
          <p>
            Invite people by email and give each a role: owners and admins manage members and credentials, members
            upload data and launch training, viewers follow runs and results. Everyone in a team shares its
            datasets, jobs and model versions.
          </p>
        </EmptyState>
      </div>
    </>
  );
}
