import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { ApiError } from "@/lib/api/errors";
import { checkNewPassword, passwordHint } from "@/lib/auth/password";
import { useRegister } from "../api/register";

/**
 * A refused field, said once in plain words: the server's 422 detail repeats its field messages
 * after "The request is not valid — password: …", and each message (why the password is too easy to
 * guess) is written for people, so those messages alone are shown.
 */
function plainError(error: unknown): unknown {
  if (error instanceof ApiError && error.status === 422 && error.fields.length > 0) {
    return [...new Set(error.fields.map((field) => field.message))].join(" ");
  }
  return error;
}

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
      <ErrorAlert error={clientError ?? plainError(registerMutation.error)} />
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
