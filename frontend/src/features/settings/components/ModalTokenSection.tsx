import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { TextField } from "@/components/ui/TextField";
import type { CredentialRead } from "@/lib/api/types";
import { useSaveModalToken } from "../api/save-modal-token";
import { CredentialDetails } from "./CredentialDetails";

const LABEL = "Modal token";

export function ModalTokenSection({ credential }: { credential: CredentialRead | undefined }) {
  const [tokenId, setTokenId] = useState("");
  const [tokenSecret, setTokenSecret] = useState("");
  const [clientError, setClientError] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<string | null>(null);
  const save = useSaveModalToken();
  const configured = credential?.configured === true;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFeedback(null);
    const problem = !tokenId.trim()
      ? "Enter the Modal token ID (it starts with ak-)."
      : !tokenSecret.trim()
        ? "Enter the Modal token secret (it starts with as-)."
        : null;
    setClientError(problem);
    if (problem) return;
    save.mutate(
      { token_id: tokenId.trim(), token_secret: tokenSecret.trim() },
      {
        onSuccess: () => {
          setTokenId("");
          setTokenSecret("");
          setFeedback("Modal token saved.");
        },
      },
    );
  }

  return (
    <Card
      title={LABEL}
      description={
        <>
          Lets training jobs run on Modal cloud GPUs. Create a token pair at{" "}
          <span className="font-mono">modal.com/settings/tokens</span>. It is stored encrypted and never shown again.
        </>
      }
    >
      <div className="space-y-4">
        {credential && configured && (
          <CredentialDetails credential={credential} label={LABEL} onDeleted={() => setFeedback("Modal token deleted.")} />
        )}
        <form onSubmit={submit} className="max-w-md space-y-4" noValidate>
          <TextField
            label="Modal token ID"
            autoComplete="off"
            spellCheck={false}
            placeholder="ak-…"
            value={tokenId}
            onChange={(e) => setTokenId(e.target.value)}
          />
          <TextField
            label="Modal token secret"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="as-…"
            value={tokenSecret}
            onChange={(e) => setTokenSecret(e.target.value)}
          />
          <ErrorAlert error={clientError ?? save.error} />
          <StatusMessage>{feedback}</StatusMessage>
          <Button type="submit" pending={save.isPending}>
            Save Modal token
          </Button>
        </form>
      </div>
    </Card>
  );
}
