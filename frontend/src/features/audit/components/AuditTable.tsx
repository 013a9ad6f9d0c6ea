import { Pill, type PillTone } from "@/components/ui/Pill";
import type { AuditEventRead } from "@/lib/api/types";
import { formatDateTime } from "@/lib/format";

const outcomeTone: Record<string, PillTone> = { success: "success", failure: "danger", refused: "warning" };

function actor(event: AuditEventRead): string {
  if (event.actor_email) return event.actor_user_id ? event.actor_email : `${event.actor_email} (not signed in)`;
  return event.actor_user_id ? event.actor_user_id : "system";
}

function target(event: AuditEventRead): string {
  const what = event.target_label ?? event.target_id;
  if (!what) return "—";
  return event.target_type ? `${event.target_type}: ${what}` : what;
}

export function AuditTable({ events }: { events: AuditEventRead[] }) {
  return (
    <div role="region" aria-label="Audit events" tabIndex={0} className="overflow-x-auto focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
      <table className="min-w-full text-left text-sm">
        <thead className="border-b border-slate-200 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className="py-2 pr-4 font-medium">Time</th>
            <th scope="col" className="py-2 pr-4 font-medium">Actor</th>
            <th scope="col" className="py-2 pr-4 font-medium">Action</th>
            <th scope="col" className="py-2 pr-4 font-medium">Target</th>
            <th scope="col" className="py-2 pr-4 font-medium">Outcome</th>
            <th scope="col" className="py-2 font-medium">IP</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {events.map((event) => (
            <tr key={event.id} className="align-top">
              <td className="whitespace-nowrap py-2 pr-4 text-slate-600">
                <time dateTime={event.created_at}>{formatDateTime(event.created_at)}</time>
              </td>
              <td className="py-2 pr-4 text-slate-900">
                {actor(event)}
                {event.via && <span className="ml-1 text-xs text-slate-500">via {event.via}</span>}
              </td>
              <td className="py-2 pr-4 font-mono text-xs text-slate-800">{event.action}</td>
              <td className="py-2 pr-4 text-slate-700">
                {target(event)}
                {typeof event.detail?.reason === "string" && (
                  <span className="block text-xs text-slate-500">{event.detail.reason}</span>
                )}
              </td>
              <td className="py-2 pr-4">
                <Pill tone={outcomeTone[event.outcome] ?? "neutral"}>{event.outcome}</Pill>
              </td>
              <td className="whitespace-nowrap py-2 font-mono text-xs text-slate-600" title={event.user_agent ?? undefined}>
                {event.ip ?? "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
