import { Link } from "react-router";
import { cn } from "@/components/ui/cn";
import type { VersionRead } from "@/lib/api/types";
import { formatDateTime, formatNumber } from "@/lib/format";
import { StatusBadge } from "./StatusBadge";

const operations: Record<string, string> = {
  upload: "Upload",
  drop_invalid: "Dropped invalid rows",
  mapping: "New mapping",
  split: "Split",
};

/** The version history, newest first; the selected one is marked as the current page. */
export function VersionList({ versions, selectedId }: { versions: VersionRead[]; selectedId: string | undefined }) {
  return (
    <nav aria-label="Versions">
      <ol className="space-y-2">
        {versions.map((version) => {
          const change = (version.options as { change?: unknown }).change;
          return (
            <li key={version.id}>
              <Link
                to={`?version=${version.id}`}
                aria-current={version.id === selectedId ? "page" : undefined}
                className={cn(
                  "block rounded-lg border px-3 py-2 text-sm",
                  version.id === selectedId
                    ? "border-indigo-300 bg-indigo-50"
                    : "border-slate-200 bg-white hover:border-slate-300",
                )}
              >
                <span className="flex items-center justify-between gap-2">
                  <span className="font-semibold text-slate-900">Version {version.number}</span>
                  <StatusBadge status={version.status} />
                </span>
                <span className="mt-0.5 block text-xs text-slate-600">
                  {operations[version.operation] ?? version.operation} · {formatNumber(version.rows)} rows ·{" "}
                  {formatDateTime(version.created_at)}
                </span>
                {typeof change === "string" && change && <span className="block text-xs text-slate-600">{change}</span>}
                {version.notes && <span className="block text-xs italic text-slate-600">“{version.notes}”</span>}
              </Link>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
