import { Link } from "react-router";
import { PageHeader } from "@/components/ui/Page";

export function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" description="There is nothing at this address." />
      <Link to="/dashboard" className="font-semibold text-indigo-600 hover:text-indigo-500">
        Go to the dashboard
      </Link>
    </>
  );
}
