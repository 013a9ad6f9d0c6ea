import { Navigate, Outlet, useLocation } from "react-router";
import { PageLoader } from "@/components/ui/Spinner";
import { redirectTarget } from "@/lib/auth/redirect-target";
import { useSessionStatus, wasLoggedOutByUser } from "@/lib/auth/session";

/** Protected routes: wait for a silent refresh on page load, then require a session. */
export function RequireAuth() {
  const status = useSessionStatus();
  const location = useLocation();
  if (status === "restoring") return <PageLoader label="Signing you in…" />;
  if (status === "signedOut") {
    // Someone who arrived here signed out, or whose session expired, comes back here after signing in.
    // An invitation link always comes back, whoever signed out before.
    const keep = !wasLoggedOutByUser() || location.pathname.startsWith("/invitations/");
    const state = keep ? { from: location.pathname + location.search } : undefined;
    return <Navigate to="/login" replace state={state} />;
  }
  return <Outlet />;
}

/** Login and register: a signed-in user goes straight to the app. */
export function PublicOnly() {
  const status = useSessionStatus();
  const location = useLocation();
  if (status === "restoring") return <PageLoader label="Signing you in…" />;
  if (status === "signedIn") {
    return <Navigate to={redirectTarget(location.state)} replace />;
  }
  return <Outlet />;
}
