import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice, StatusMessage } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { TextField } from "@/components/ui/TextField";
import type { CredentialRead } from "@/lib/api/types";
import { useSaveModalToken } from "../api/save-modal-token";
import { CredentialDetails } from "./CredentialDetails";
import { tokenError } from "./token-errors";

const LABEL = "Modal token";

export function ModalTokenSection({ credential }: { credential: CredentialRead | undefined }) {
  const [tokenId, setTokenId] = useState("");
  const [tokenSecret, setTokenSecret] = useState("");
  const [clientError, setClientError] = useState<string | null>(null);
  // Verified is a success; saved but not verified (or rejected) is only "saved": the details above say why.
  const [feedback, setFeedback] = useState<{ text: string; success: boolean } | null>(null);
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
        onSuccess: (saved) => {
          setTokenId("");
          setTokenSecret("");
          setFeedback(
            saved.status === "valid"
              ? { text: "Modal token saved and verified.", success: true }
              : { text: "Modal token saved.", success: false },
          );
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
          <CredentialDetails credential={credential} label={LABEL} onDeleted={() => setFeedback({ text: "Modal token deleted.", success: true })} />
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
          <ErrorAlert error={clientError ?? tokenError(save.error)} />
          {feedback?.success ? (
            <StatusMessage>{feedback.text}</StatusMessage>
          ) : (
            feedback && <Notice>{feedback.text}</Notice>
          )}
          <Button type="submit" pending={save.isPending}>
            Save Modal token
          </Button>
        </form>
      </div>
    </Card>
  );
}
