import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { useLogin } from "../api/login";

export function LoginForm({ onSignedIn }: { onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const loginMutation = useLogin();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    loginMutation.mutate({ email: email.trim(), password }, { onSuccess: onSignedIn });
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <ErrorAlert error={loginMutation.error} />
      <TextField
        label="Email"
        type="email"
        autoComplete="email"
        required
        value={email}
        onChange={(event) => setEmail(event.target.value)}
      />
      <TextField
        label="Password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <Button type="submit" pending={loginMutation.isPending} className="w-full">
        Sign in
      </Button>
    </form>
  );
}
