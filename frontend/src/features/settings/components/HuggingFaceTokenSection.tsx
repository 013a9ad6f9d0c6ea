import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice, StatusMessage } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { TextField } from "@/components/ui/TextField";
import type { CredentialRead } from "@/lib/api/types";
import { useSaveHuggingFaceToken } from "../api/save-huggingface-token";
import { CredentialDetails } from "./CredentialDetails";
import { tokenError } from "./token-errors";

const LABEL = "Hugging Face token";

export function HuggingFaceTokenSection({ credential }: { credential: CredentialRead | undefined }) {
  const [token, setToken] = useState("");
  const [clientError, setClientError] = useState<string | null>(null);
  // Verified is a success; saved but not verified (or rejected) is only "saved": the details above say why.
  const [feedback, setFeedback] = useState<{ text: string; success: boolean } | null>(null);
  const save = useSaveHuggingFaceToken();
  const configured = credential?.configured === true;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFeedback(null);
    const value = token.trim();
    setClientError(value ? null : "Paste a Hugging Face access token first.");
    if (!value) return;
    save.mutate(value, {
      onSuccess: (saved) => {
        setToken("");
        setFeedback(
          saved.status === "valid"
            ? { text: "Hugging Face token saved and verified.", success: true }
            : { text: "Hugging Face token saved.", success: false },
        );
      },
    });
  }

  return (
    <Card
      title={LABEL}
      description={
        <>
          Used to download gated models and publish model versions to the Hub. Create one at{" "}
          <span className="font-mono">huggingface.co/settings/tokens</span>. It is stored encrypted and never shown
          again.
        </>
      }
    >
      <div className="space-y-4">
        {credential && configured && (
          <CredentialDetails
            credential={credential}
            label={LABEL}
            onDeleted={() => setFeedback({ text: "Hugging Face token deleted.", success: true })}
          />
        )}
        <form onSubmit={submit} className="max-w-md space-y-4" noValidate>
          <TextField
            label={LABEL}
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder={configured ? "Paste a new token to replace the saved one" : "hf_…"}
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
          <ErrorAlert error={clientError ?? tokenError(save.error)} />
          {feedback?.success ? (
            <StatusMessage>{feedback.text}</StatusMessage>
          ) : (
            feedback && <Notice>{feedback.text}</Notice>
          )}
          <Button type="submit" pending={save.isPending}>
            Save Hugging Face token
          </Button>
        </form>
      </div>
    </Card>
  );
}
