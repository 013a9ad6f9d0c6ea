import { Link } from "react-router";
import { useJobModelVersion } from "../api/get-job-model-version";

/** "Model version: name v3", linking to its page on the Models page, once the job succeeded. */
export function JobModelVersionLink({ jobId, succeeded }: { jobId: string; succeeded: boolean }) {
  const version = useJobModelVersion(jobId, succeeded);
  if (!version.data) return null;
  return (
    <span>
      Model version:{" "}
      <Link className="text-indigo-700 hover:underline" to={`/models/versions/${version.data.id}`}>
        {version.data.model_name} v{version.data.number}
      </Link>
    </span>
  );
}
