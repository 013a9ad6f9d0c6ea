import { ErrorAlert } from "@/components/ui/Feedback";
import { ApiError } from "@/lib/api/errors";

// What the playground's refusals mean, before the server's own words (its `detail`).
const TITLES: Record<number, string> = {
  503: "No worker can answer right now.",
  404: "That model version (or dataset version) was not found.",
  409: "That model version cannot answer.",
};

/** An API failure in plain words: what kind of refusal, then the server's detail verbatim. */
export function ApiProblem({ error, className }: { error: unknown; className?: string }) {
  if (!error) return null;
  const title = error instanceof ApiError ? TITLES[error.status] : undefined;
  if (!title) return <ErrorAlert error={error} className={className} />;
  return (
    <div role="alert" className={`rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 ${className ?? ""}`}>
      <p className="font-semibold">{title}</p>
      <p>{(error as ApiError).detail}</p>
    </div>
  );
}
