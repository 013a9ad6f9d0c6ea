import { Link, useLocation, useNavigate } from "react-router";
import { AuthLayout } from "../components/AuthLayout";
import { LoginForm } from "../components/LoginForm";
import { redirectTarget } from "@/lib/auth/redirect-target";

export function LoginRoute() {
  const navigate = useNavigate();
  const location = useLocation();
  return (
    <AuthLayout
      title="Sign in to TuneForge"
      footer={
        <>
          New to TuneForge?{" "}
          <Link to="/register" className="font-semibold text-indigo-600 hover:text-indigo-500">
            Create an account
          </Link>
        </>
      }
    >
      <LoginForm onSignedIn={() => navigate(redirectTarget(location.state), { replace: true })} />
    </AuthLayout>
  );
}
