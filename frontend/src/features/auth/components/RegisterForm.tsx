import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { checkNewPassword, passwordHint } from "@/lib/auth/password";
import { useRegister } from "../api/register";

export function RegisterForm({ onRegistered }: { onRegistered: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [clientError, setClientError] = useState<string | null>(null);
  const registerMutation = useRegister();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const problem = !name.trim()
      ? "Enter your name."
      : !email.trim()
        ? "Enter your email address."
        : checkNewPassword(password);
    setClientError(problem);
    if (problem) return;
    registerMutation.mutate(
      { display_name: name.trim(), email: email.trim(), password },
      { onSuccess: onRegistered },
    );
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <ErrorAlert error={clientError ?? registerMutation.error} />
      <TextField
        label="Name"
        autoComplete="name"
        required
        maxLength={100}
        value={name}
        onChange={(event) => setName(event.target.value)}
      />
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
        autoComplete="new-password"
        required
        hint={passwordHint(password)}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <Button type="submit" pending={registerMutation.isPending} className="w-full">
        Create account
      </Button>
    </form>
  );
}
