import { useState } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { AuthLayout } from "../components/AuthLayout";
import { LoginForm } from "../components/LoginForm";
import { SsoButton } from "../components/SsoButton";
import { ErrorAlert, Notice } from "@/components/ui/Feedback";
import { redirectTarget } from "@/lib/auth/redirect-target";
import { getSignedOutReason } from "@/lib/auth/session";

export function LoginRoute() {
  const navigate = useNavigate();
  const location = useLocation();
  // Read once: the reason belongs to the sign-out that brought us here, not to later attempts.
  const [signedOutReason] = useState(getSignedOutReason);
  // A single sign-on that failed comes back here with what went wrong, and where it was going.
  const [searchParams] = useSearchParams();
  const ssoError = searchParams.get("sso_error");
  const target = redirectTarget(searchParams.has("next") ? { from: searchParams.get("next") } : location.state);
  return (
    <AuthLayout
      title="Sign in to TuneForge"
      footer={
        <>
          New to TuneForge?{" "}
          <Link to="/register" state={location.state} className="font-semibold text-indigo-600 hover:text-indigo-500">
            Create an account
          </Link>
        </>
      }
    >
      {signedOutReason && (
        <Notice tone="warning" className="mb-4">
          You were signed out because {signedOutReason}
        </Notice>
      )}
      {ssoError && <ErrorAlert error={new Error(ssoError)} className="mb-4" />}
      <LoginForm onSignedIn={() => navigate(target, { replace: true })} />
      <SsoButton next={target} />
    </AuthLayout>
  );
}
