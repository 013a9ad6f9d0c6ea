import { Link } from "react-router";
import { ErrorAlert } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { useFeedbackDatasets } from "../api/list-feedback-datasets";
import { trainLink } from "../lib/conversation";

const KINDS: Record<string, string> = {
  preference: "picks",
  rating: "thumbs up and down",
  edit: "corrected answers",
};

/** The team's datasets made from feedback, each with a link to train on its latest version. */
export function FeedbackDatasets({ teamId, versionId }: { teamId: string; versionId: string | undefined }) {
  const datasets = useFeedbackDatasets(teamId);
  return (
    <Card title="Feedback datasets" description="Every pick, rating and edit adds a row to one of these datasets.">
      <ErrorAlert error={datasets.error} />
      {datasets.data?.length === 0 && (
        <p className="text-sm text-slate-600">No feedback yet: pick the better answer, rate one, or correct one.</p>
      )}
      <ul className="divide-y divide-slate-100">
        {(datasets.data ?? []).map((d) => (
          <li key={d.dataset_id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
            <div className="min-w-0">
              <Link
                className="font-medium text-indigo-700 hover:underline"
                to={`/datasets/${d.dataset_id}${d.latest_version_id ? `?version=${d.latest_version_id}` : ""}`}
              >
                {d.dataset_name}
              </Link>
              <p className="text-xs text-slate-600">
                {KINDS[d.kind] ?? d.kind} · {d.latest_version_number ? `v${d.latest_version_number} · ` : ""}
                {d.rows} row{d.rows === 1 ? "" : "s"} · trains {d.method.toUpperCase()}
              </p>
            </div>
            {d.latest_version_id && (
              <Link
                className="text-sm font-medium text-indigo-700 hover:underline"
                to={trainLink({ dataset_version_id: d.latest_version_id, method: d.method }, versionId)}
                aria-label={`Train on this feedback (${d.dataset_name})`}
              >
                Train on this feedback
              </Link>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}
