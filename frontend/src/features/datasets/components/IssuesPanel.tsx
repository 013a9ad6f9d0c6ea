import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { cn } from "@/components/ui/cn";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import type { IssueRead, VersionRead } from "@/lib/api/types";
import { formatNumber } from "@/lib/format";
import { useIssues } from "../api/list-issues";
import { issueGroups } from "./issue-codes";

const PAGE = 50;
const severityStyles = {
  error: "bg-red-50 text-red-800 ring-red-200",
  warning: "bg-amber-50 text-amber-800 ring-amber-200",
  info: "bg-sky-50 text-sky-800 ring-sky-200",
} as const;

function SeverityBadge({ severity }: { severity: IssueRead["severity"] }) {
  return (
    <span className={cn("mt-0.5 rounded px-1.5 py-0.5 text-[11px] font-semibold uppercase ring-1 ring-inset", severityStyles[severity])}>
      {severity}
    </span>
  );
}

/** One issue; with `onJump`, an issue on a row is a button that shows that row in the preview. */
export function IssueItem({ issue, onJump }: { issue: IssueRead; onJump?: (row: number) => void }) {
  const row = issue.row;
  return (
    <li className="py-2">
      <div className="flex items-start gap-2">
        <SeverityBadge severity={issue.severity} />
        <div>
          {onJump && row != null ? (
            <button
              type="button"
              onClick={() => onJump(row)}
              title={`Show row ${row} in the preview`}
              className="text-left text-sm text-indigo-700 hover:underline"
            >
              {issue.message}
            </button>
          ) : (
            <p className="text-sm text-slate-900">{issue.message}</p>
          )}
          {issue.hint && <p className="text-xs text-slate-500">{issue.hint}</p>}
        </div>
      </div>
    </li>
  );
}

/** A version's issues grouped by kind with their counts; a group opens to its issues, and an issue on a
 * row jumps to that row in the preview (`onJump`, for unsplit versions). */
export function IssuesPanel({
  teamId,
  datasetId,
  versionId,
  summary,
  onJump,
}: {
  teamId: string;
  datasetId: string;
  versionId: string;
  summary: VersionRead["issues_summary"];
  onJump?: (row: number) => void;
}) {
  const counts = summary as { errors?: number; warnings?: number; infos?: number; truncated?: boolean; by_code?: Record<string, number> };
  const groups = issueGroups(counts.by_code);
  const [open, setOpen] = useState<Set<string>>(() => new Set(groups.slice(0, 1).map((g) => g.code)));
  const toggle = (code: string) =>
    setOpen((all) => {
      const next = new Set(all);
      if (next.has(code)) next.delete(code);
      else next.add(code);
      return next;
    });
  const anything = (counts.errors ?? 0) + (counts.warnings ?? 0) + (counts.infos ?? 0) > 0;

  return (
    <Card
      title="Issues"
      description={`${formatNumber(counts.errors ?? 0)} errors, ${formatNumber(counts.warnings ?? 0)} warnings, ${formatNumber(counts.infos ?? 0)} notes${counts.truncated ? " (only the first 1,000 of each kind are listed)" : ""}.`}
    >
      {!anything && <p className="text-sm text-slate-600">No issues found.</p>}
      {groups.length > 0 ? (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200" aria-label="Issues by kind">
          {groups.map((group) => (
            <li key={group.code}>
              <button
                type="button"
                aria-expanded={open.has(group.code)}
                onClick={() => toggle(group.code)}
                className="flex w-full items-center gap-2 px-3 py-2 text-left text-sm hover:bg-slate-50"
              >
                <span aria-hidden className="w-3 text-slate-400">
                  {open.has(group.code) ? "▾" : "▸"}
                </span>
                <SeverityBadge severity={group.severity} />
                <span className="flex-1 font-medium text-slate-900">{group.label}</span>
                <span className="tabular-nums text-slate-600">{formatNumber(group.count)}</span>
              </button>
              {open.has(group.code) && (
                <IssueGroupList teamId={teamId} datasetId={datasetId} versionId={versionId} code={group.code} onJump={onJump} />
              )}
            </li>
          ))}
        </ul>
      ) : (
        anything && <IssueGroupList teamId={teamId} datasetId={datasetId} versionId={versionId} onJump={onJump} />
      )}
    </Card>
  );
}

/** The issues of one code (or all, for a summary without codes), paginated. */
function IssueGroupList({
  teamId,
  datasetId,
  versionId,
  code,
  onJump,
}: {
  teamId: string;
  datasetId: string;
  versionId: string;
  code?: string;
  onJump?: (row: number) => void;
}) {
  const [offset, setOffset] = useState(0);
  const issues = useIssues({ teamId, datasetId, versionId, code, offset, limit: PAGE });
  const total = issues.data?.total ?? 0;
  return (
    <div className="px-3 pb-3 pl-8">
      <ErrorAlert error={issues.error} />
      {issues.data && (
        <ul className="divide-y divide-slate-100">
          {issues.data.items.map((issue, index) => (
            <IssueItem key={`${offset + index}-${issue.code}`} issue={issue} onJump={onJump} />
          ))}
        </ul>
      )}
      {total > PAGE && <Pager offset={offset} limit={PAGE} total={total} onChange={setOffset} label="issues" />}
    </div>
  );
}

export function Pager({
  offset,
  limit,
  total,
  onChange,
  label,
}: {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
  label: string;
}) {
  return (
    <div className="mt-3 flex items-center justify-between gap-2 text-sm text-slate-600">
      <span>
        {formatNumber(offset + 1)}–{formatNumber(Math.min(offset + limit, total))} of {formatNumber(total)} {label}
      </span>
      <span className="flex gap-2">
        <Button variant="secondary" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
          Previous
        </Button>
        <Button variant="secondary" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
          Next
        </Button>
      </span>
    </div>
  );
}
