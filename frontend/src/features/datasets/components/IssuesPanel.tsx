import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { cn } from "@/components/ui/cn";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import type { IssueRead } from "@/lib/api/types";
import { formatNumber } from "@/lib/format";
import { useIssues } from "../api/list-issues";

const PAGE = 50;
const severityStyles = {
  error: "bg-red-50 text-red-800 ring-red-200",
  warning: "bg-amber-50 text-amber-800 ring-amber-200",
  info: "bg-sky-50 text-sky-800 ring-sky-200",
} as const;

export function IssueItem({ issue }: { issue: IssueRead }) {
  return (
    <li className="py-2">
      <div className="flex items-start gap-2">
        <span className={cn("mt-0.5 rounded px-1.5 py-0.5 text-[11px] font-semibold uppercase ring-1 ring-inset", severityStyles[issue.severity])}>
          {issue.severity}
        </span>
        <div>
          <p className="text-sm text-slate-900">{issue.message}</p>
          {issue.hint && <p className="text-xs text-slate-500">{issue.hint}</p>}
        </div>
      </div>
    </li>
  );
}

export function IssuesPanel({ teamId, datasetId, versionId }: { teamId: string; datasetId: string; versionId: string }) {
  const [severity, setSeverity] = useState<IssueRead["severity"] | "">("");
  const [offset, setOffset] = useState(0);
  const issues = useIssues({ teamId, datasetId, versionId, severity: severity || undefined, offset, limit: PAGE });
  const summary = issues.data?.summary as { errors?: number; warnings?: number; infos?: number; truncated?: boolean } | undefined;
  const total = issues.data?.total ?? 0;

  return (
    <Card
      title="Issues"
      description={
        summary &&
        `${formatNumber(summary.errors ?? 0)} errors, ${formatNumber(summary.warnings ?? 0)} warnings, ${formatNumber(summary.infos ?? 0)} notes${summary.truncated ? " (only the first 1,000 of each kind are listed)" : ""}.`
      }
    >
      <div className="mb-3 flex items-center gap-2 text-sm">
        <label htmlFor={`severity-${versionId}`} className="text-slate-700">
          Severity
        </label>
        <select
          id={`severity-${versionId}`}
          value={severity}
          onChange={(e) => {
            setSeverity(e.target.value as IssueRead["severity"] | "");
            setOffset(0);
          }}
          className="rounded-md border-0 bg-white py-1.5 pl-2 pr-8 text-sm ring-1 ring-inset ring-slate-300"
        >
          <option value="">All</option>
          <option value="error">Errors</option>
          <option value="warning">Warnings</option>
          <option value="info">Notes</option>
        </select>
      </div>
      <ErrorAlert error={issues.error} />
      {issues.data && issues.data.items.length === 0 && <p className="text-sm text-slate-600">No issues found.</p>}
      {issues.data && issues.data.items.length > 0 && (
        <ul className="divide-y divide-slate-100">
          {issues.data.items.map((issue, index) => (
            <IssueItem key={`${offset + index}-${issue.code}`} issue={issue} />
          ))}
        </ul>
      )}
      {total > PAGE && (
        <Pager offset={offset} limit={PAGE} total={total} onChange={setOffset} label="issues" />
      )}
    </Card>
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
