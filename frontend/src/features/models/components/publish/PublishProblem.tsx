import { Link } from "react-router";
import { ErrorAlert } from "@/components/ui/Feedback";
import { ApiError } from "@/lib/api/errors";

// What publishing's refusals mean, before the server's own words (its `detail`).
const TITLES: Record<number, string> = {
  400: "Not ready to publish.",
  503: "No worker can publish right now.",
  404: "That model version or publication was not found.",
  409: "This can't be done now.",
};

/** An API failure in plain words: what kind of refusal, then the server's detail verbatim (with a Settings link when it names Settings). */
export function PublishProblem({ error, className }: { error: unknown; className?: string }) {
  if (!error) return null;
  const title = error instanceof ApiError ? TITLES[error.status] : undefined;
  if (!title) return <ErrorAlert error={error} className={className} />;
  const detail = (error as ApiError).detail;
  return (
    <div role="alert" className={`rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 ${className ?? ""}`}>
      <p className="font-semibold">{title}</p>
      <p className="break-words">{detail}</p>
      {/\bSettings\b/.test(detail) && (
        <Link to="/settings" className="font-medium text-red-900 underline">
          Open Settings
        </Link>
      )}
    </div>
  );
}
