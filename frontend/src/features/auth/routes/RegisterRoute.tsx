import { Link, useLocation, useNavigate } from "react-router";
import { redirectTarget } from "@/lib/auth/redirect-target";
import { AuthLayout } from "../components/AuthLayout";
import { RegisterForm } from "../components/RegisterForm";

export function RegisterRoute() {
  const navigate = useNavigate();
  const location = useLocation();
  return (
    <AuthLayout
      title="Create your account"
      footer={
        <>
          Already have an account?{" "}
          <Link to="/login" state={location.state} className="font-semibold text-indigo-600 hover:text-indigo-500">
            Sign in
          </Link>
        </>
      }
    >
      <RegisterForm onRegistered={() => navigate(redirectTarget(location.state), { replace: true })} />
    </AuthLayout>
  );
}
