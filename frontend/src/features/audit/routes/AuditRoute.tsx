import { useState } from "react";
import { Link } from "react-router";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { atLeast } from "@/features/team/roles";
import { downloadAuditCsv, noFilters, useAudit, type AuditFilters } from "../api/audit";
import { AuditFiltersForm } from "../components/AuditFiltersForm";
import { AuditTable } from "../components/AuditTable";

export function AuditRoute() {
  const { team, isPending: teamPending } = useCurrentTeam();
  const isAdmin = atLeast(team?.role, "admin");
  const [filters, setFilters] = useState<AuditFilters>(noFilters);
  const audit = useAudit(team?.id, filters, isAdmin);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<unknown>(null);
  const events = audit.data?.pages.flatMap((page) => page.items) ?? [];

  const exportCsv = async () => {
    if (!team) return;
    setExporting(true);
    setExportError(null);
    try {
      await downloadAuditCsv(team.id, filters);
    } catch (error) {
      setExportError(error);
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who did what in the team, when and from where: sign-ins, tokens and credentials of its members, invitations and roles, datasets, jobs, models, publications and quotas. Events cannot be changed or deleted."
        actions={
          isAdmin ? (
            <Button variant="secondary" onClick={() => void exportCsv()} pending={exporting}>
              Export CSV
            </Button>
          ) : undefined
        }
      />
      <div className="space-y-6">
        {teamPending && <p className="text-sm text-slate-500">Loading…</p>}
        {team && !isAdmin && (
          <Notice tone="warning">
            The audit log needs the admin role in {team.name}; you are a {team.role}. Ask a team owner or admin to
            show it to you, or to make you an admin. <Link to="/team" className="underline">Back to the team</Link>
          </Notice>
        )}
        {team && isAdmin && (
          <>
            <Card title={`Events of ${team.name}`} description="Newest first. Account events (sign-ins, API tokens, own credentials) are shown for the team's current members.">
              <AuditFiltersForm value={filters} onApply={setFilters} />
              <ErrorAlert error={exportError} className="mt-4" />
              <ErrorAlert error={audit.error} className="mt-4" />
              <div className="mt-4">
                {audit.isPending ? (
                  <p className="text-sm text-slate-500">Loading events…</p>
                ) : events.length === 0 ? (
                  <p className="text-sm text-slate-600">
                    {filters === noFilters ? "No events yet." : "No event matches these filters."}
                  </p>
                ) : (
                  <AuditTable events={events} />
                )}
              </div>
              {audit.hasNextPage && (
                <Button variant="secondary" className="mt-4" onClick={() => void audit.fetchNextPage()} pending={audit.isFetchingNextPage}>
                  Load older events
                </Button>
              )}
            </Card>
          </>
        )}
      </div>
    </>
  );
}
