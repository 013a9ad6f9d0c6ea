import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { TextField } from "@/components/ui/TextField";
import type { CredentialRead } from "@/lib/api/types";
import { useSaveHuggingFaceToken } from "../api/save-huggingface-token";
import { CredentialDetails } from "./CredentialDetails";

const LABEL = "Hugging Face token";

export function HuggingFaceTokenSection({ credential }: { credential: CredentialRead | undefined }) {
  const [token, setToken] = useState("");
  const [clientError, setClientError] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<string | null>(null);
  const save = useSaveHuggingFaceToken();
  const configured = credential?.configured === true;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFeedback(null);
    const value = token.trim();
    setClientError(value ? null : "Paste a Hugging Face access token first.");
    if (!value) return;
    save.mutate(value, {
      onSuccess: () => {
        setToken("");
        setFeedback("Hugging Face token saved.");
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
            onDeleted={() => setFeedback("Hugging Face token deleted.")}
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
          <ErrorAlert error={clientError ?? save.error} />
          <StatusMessage>{feedback}</StatusMessage>
          <Button type="submit" pending={save.isPending}>
            Save Hugging Face token
          </Button>
        </form>
      </div>
    </Card>
  );
}
