import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { TextField } from "@/components/ui/TextField";
import { checkNewPassword, passwordHint } from "@/lib/auth/password";
import { useChangePassword } from "../api/change-password";

export function PasswordSection() {
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [clientError, setClientError] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  const changePassword = useChangePassword();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setChanged(false);
    const problem = !currentPassword ? "Enter your current password." : checkNewPassword(newPassword);
    setClientError(problem);
    if (problem) return;
    changePassword.mutate(
      { current_password: currentPassword, new_password: newPassword },
      {
        onSuccess: () => {
          setCurrentPassword("");
          setNewPassword("");
          setChanged(true);
        },
      },
    );
  }

  return (
    <Card title="Password" description="Changing your password signs you out everywhere else.">
      <form onSubmit={submit} className="max-w-md space-y-4" noValidate>
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={(e) => setCurrentPassword(e.target.value)}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={passwordHint(newPassword)}
          value={newPassword}
          onChange={(e) => setNewPassword(e.target.value)}
        />
        <ErrorAlert error={clientError ?? changePassword.error} />
        {changed && <StatusMessage>Password changed. Your other sessions have been signed out.</StatusMessage>}
        <Button type="submit" pending={changePassword.isPending}>
          Change password
        </Button>
      </form>
    </Card>
  );
}
