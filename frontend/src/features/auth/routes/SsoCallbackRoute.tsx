import { useEffect, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { ErrorAlert } from "@/components/ui/Feedback";
import { PageLoader } from "@/components/ui/Spinner";
import { redirectTarget } from "@/lib/auth/redirect-target";
import { exchangeSsoCode } from "../api/sso";
import { AuthLayout } from "../components/AuthLayout";

/**
 * Where the API sends the browser after a single sign-on: /sso/callback#code=<one-time code>&next=<path>.
 * The code is in the fragment, which never reaches a server or an access log; it is wiped from the address
 * bar at once, then traded for the session's tokens (it works once, for a minute).
 */
export function SsoCallbackRoute() {
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return; // StrictMode runs effects twice; the code works only once
    started.current = true;
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const code = fragment.get("code");
    const next = redirectTarget({ from: fragment.get("next") ?? undefined });
    window.history.replaceState(window.history.state, "", window.location.pathname);
    if (!code) {
      setError(new Error("This sign-in link has no code. Start again from the sign-in page."));
      return;
    }
    exchangeSsoCode(code).then(
      () => navigate(next === "/" ? "/dashboard" : next, { replace: true }),
      (failure: unknown) => setError(failure),
    );
  }, [navigate]);

  if (!error) return <PageLoader label="Signing you in…" />;
  return (
    <AuthLayout
      title="Single sign-on did not finish"
      footer={
        <Link to="/login" className="font-semibold text-indigo-600 hover:text-indigo-500">
          Back to sign in
        </Link>
      }
    >
      <ErrorAlert error={error} />
    </AuthLayout>
  );
}
