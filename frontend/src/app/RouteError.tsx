import { isRouteErrorResponse, Link, useRouteError } from "react-router";

/** Shown instead of a blank page when a route throws while rendering. */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : "Unknown error";
  return (
    <main className="mx-auto max-w-lg px-4 py-16 text-center">
      <h1 className="text-2xl font-bold text-slate-900">Something went wrong</h1>
      <p className="mt-2 text-sm text-slate-600">
        This page failed to display. Nothing you saved was lost. Reload the page, or go back to the dashboard.
      </p>
      <p role="alert" className="mt-4 rounded-md bg-red-50 px-3 py-2 font-mono text-xs text-red-800">
        {message}
      </p>
      <div className="mt-6 flex justify-center gap-4 text-sm font-semibold">
        <button type="button" className="text-indigo-600 hover:underline" onClick={() => window.location.reload()}>
          Reload
        </button>
        <Link to="/dashboard" className="text-indigo-600 hover:underline" reloadDocument>
          Dashboard
        </Link>
      </div>
    </main>
  );
}
