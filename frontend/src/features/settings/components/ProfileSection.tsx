import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { TextField } from "@/components/ui/TextField";
import type { MeUpdate, UserRead } from "@/lib/api/types";
import { useUpdateProfile } from "../api/update-profile";

export function ProfileSection({ user }: { user: UserRead }) {
  const [name, setName] = useState(user.display_name);
  const [email, setEmail] = useState(user.email);
  const [currentPassword, setCurrentPassword] = useState("");
  const [saved, setSaved] = useState(false);
  const [clientError, setClientError] = useState<string | null>(null);
  const updateProfile = useUpdateProfile();

  // You sign in with your email, so changing it takes your password: a stolen session alone cannot.
  const emailChanged = email.trim().toLowerCase() !== user.email;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const changes: MeUpdate = {};
    if (name.trim() !== user.display_name) changes.display_name = name.trim();
    if (emailChanged) {
      changes.email = email.trim();
      changes.current_password = currentPassword;
    }
    const problem = !name.trim()
      ? "Enter your name."
      : !email.trim()
        ? "Enter your email address."
        : emailChanged && !currentPassword
          ? "Enter your current password to change your email."
          : null;
    setClientError(problem);
    if (problem) return;
    if (Object.keys(changes).length === 0) {
      setSaved(true);
      return;
    }
    updateProfile.mutate(changes, {
      onSuccess: (updated) => {
        setName(updated.display_name);
        setEmail(updated.email);
        setCurrentPassword("");
        setSaved(true);
      },
    });
  }

  return (
    <Card title="Profile" description="Your name is shown to your teammates; you sign in with your email.">
      <form onSubmit={submit} className="max-w-md space-y-4" noValidate>
        <TextField label="Name" autoComplete="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <TextField label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        {emailChanged && (
          <TextField
            label="Current password"
            type="password"
            autoComplete="current-password"
            hint="Needed to change the email you sign in with."
            value={currentPassword}
            onChange={(e) => setCurrentPassword(e.target.value)}
          />
        )}
        <ErrorAlert error={clientError ?? updateProfile.error} />
        {saved && !updateProfile.isPending && <StatusMessage>Profile saved.</StatusMessage>}
        <Button type="submit" pending={updateProfile.isPending}>
          Save profile
        </Button>
      </form>
    </Card>
  );
}
