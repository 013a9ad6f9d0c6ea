import { Link, useNavigate } from "react-router";
import { AuthLayout } from "../components/AuthLayout";
import { RegisterForm } from "../components/RegisterForm";

export function RegisterRoute() {
  const navigate = useNavigate();
  return (
    <AuthLayout
      title="Create your account"
      footer={
        <>
          Already have an account?{" "}
          <Link to="/login" className="font-semibold text-indigo-600 hover:text-indigo-500">
            Sign in
          </Link>
        </>
      }
    >
      <RegisterForm onRegistered={() => navigate("/dashboard", { replace: true })} />
    </AuthLayout>
  );
}
