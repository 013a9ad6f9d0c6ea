import { Link, useSearchParams } from "react-router";
import { ErrorAlert } from "@/components/ui/Feedback";
import { PageHeader } from "@/components/ui/Page";
import { PageLoader } from "@/components/ui/Spinner";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useCompare } from "../api/models";
import { CompareView } from "../components/CompareView";

export function CompareRoute() {
  const { team } = useCurrentTeam();
  const [params] = useSearchParams();
  const ids = (params.get("ids") ?? "").split(",").filter(Boolean);
  const compared = useCompare(team?.id, ids);
  const header = (
    <PageHeader
      title="Compare model versions"
      actions={
        <div className="flex flex-wrap gap-3 text-sm">
          {ids.length >= 2 && (
            <Link className="text-indigo-700 hover:underline" to={`/playground/batch?targets=${ids.slice(0, 4).join(",")}`}>
              Batch compare their answers on a dataset
            </Link>
          )}
          <Link className="text-indigo-700 hover:underline" to="/models">All models</Link>
        </div>
      }
    />
  );
  if (ids.length < 2) return <>{header}<p className="text-sm text-slate-600">Pick two or more versions on the Models page.</p></>;
  if (compared.isError) return <>{header}<ErrorAlert error={compared.error} /></>;
  if (!compared.data) return <>{header}<PageLoader label="Loading" /></>;
  return (
    <>
      {header}
      <CompareView data={compared.data} />
    </>
  );
}
