import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import type { Role, TeamCredentialRead } from "@/lib/api/types";
import {
  useRemoveTeamOllamaUrl,
  useRemoveTeamToken,
  useSaveTeamHuggingFace,
  useSaveTeamModal,
  useSetTeamOllamaUrl,
  useTeamCredentials,
} from "../api/quotas";

const titles = { huggingface: "Hugging Face token", modal: "Modal token" } as const;

function describe(credential: TeamCredentialRead | undefined): string {
  if (!credential?.configured) return "Not set: members use their own.";
  const hint = credential.provider === "modal" ? `ak-…${credential.last4}` : `…${credential.last4}`;
  const status = credential.status === "valid" ? "verified" : credential.status === "invalid" ? "rejected" : "not verified";
  return `Set: token ending in ${hint}, ${status}${credential.saved_by_name ? `, saved by ${credential.saved_by_name}` : ""}.`;
}

function HuggingFaceForm({ teamId }: { teamId: string }) {
  const [token, setToken] = useState("");
  const save = useSaveTeamHuggingFace(teamId);
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(token, { onSuccess: () => setToken("") });
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" noValidate>
      <TextField label="New team Hugging Face token" type="password" autoComplete="off" value={token}
        onChange={(e) => setToken(e.target.value)} className="min-w-64 flex-1" />
      <Button type="submit" pending={save.isPending} disabled={!token.trim()}>
        Save
      </Button>
      <ErrorAlert error={save.error} className="w-full" />
    </form>
  );
}

function ModalForm({ teamId }: { teamId: string }) {
  const [tokenId, setTokenId] = useState("");
  const [tokenSecret, setTokenSecret] = useState("");
  const save = useSaveTeamModal(teamId);
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ token_id: tokenId, token_secret: tokenSecret }, { onSuccess: () => { setTokenId(""); setTokenSecret(""); } });
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" noValidate>
      <TextField label="Team Modal token ID" autoComplete="off" value={tokenId} onChange={(e) => setTokenId(e.target.value)} />
      <TextField label="Team Modal token secret" type="password" autoComplete="off" value={tokenSecret}
        onChange={(e) => setTokenSecret(e.target.value)} />
      <Button type="submit" pending={save.isPending} disabled={!tokenId.trim() || !tokenSecret.trim()}>
        Save
      </Button>
      <ErrorAlert error={save.error} className="w-full" />
    </form>
  );
}

function OllamaForm({ teamId, current }: { teamId: string; current: string | null | undefined }) {
  const [url, setUrl] = useState(current ?? "");
  const save = useSetTeamOllamaUrl(teamId);
  const remove = useRemoveTeamOllamaUrl(teamId);
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(url.trim());
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" noValidate>
      <TextField label="Team Ollama server" placeholder="http://localhost:11434" value={url}
        onChange={(e) => setUrl(e.target.value)} className="min-w-64 flex-1" />
      <Button type="submit" pending={save.isPending} disabled={!url.trim()}>
        Save
      </Button>
      {current && (
        <Button type="button" variant="secondary" pending={remove.isPending} onClick={() => remove.mutate()}>
          Use the server's default
        </Button>
      )}
      <ErrorAlert error={save.error ?? remove.error} className="w-full" />
    </form>
  );
}

/** The Team page's "Team credentials" card: what is set for everyone to see; admins and owners change it. */
export function TeamCredentials({ teamId, role, canEdit }: { teamId: string; role: Role; canEdit: boolean }) {
  const credentials = useTeamCredentials(teamId);
  const remove = useRemoveTeamToken(teamId);
  if (credentials.isPending) return <p className="text-sm text-slate-500">Loading team credentials…</p>;
  if (credentials.error) return <ErrorAlert error={credentials.error} />;
  const byProvider = Object.fromEntries(credentials.data.credentials.map((c) => [c.provider, c]));
  const ollama = credentials.data.ollama;
  return (
    <div className="space-y-5">
      {(["huggingface", "modal"] as const).map((provider) => (
        <section key={provider} className="space-y-2" aria-label={titles[provider]}>
          <h3 className="text-sm font-medium text-slate-900">{titles[provider]}</h3>
          <p className="text-sm text-slate-700">{describe(byProvider[provider])}</p>
          {canEdit && (
            <>
              {provider === "huggingface" ? <HuggingFaceForm teamId={teamId} /> : <ModalForm teamId={teamId} />}
              {byProvider[provider]?.configured && (
                <Button variant="danger" pending={remove.isPending && remove.variables === provider} onClick={() => remove.mutate(provider)}>
                  Remove the team's {titles[provider]}
                </Button>
              )}
            </>
          )}
        </section>
      ))}
      <ErrorAlert error={remove.error} />
      <section className="space-y-2" aria-label="Ollama server">
        <h3 className="text-sm font-medium text-slate-900">Ollama server</h3>
        <p className="text-sm text-slate-700">
          {ollama.url ? `${ollama.url}${ollama.set_by_name ? `, set by ${ollama.set_by_name}` : ""}.` : "Not set: publications use the server's default."}
        </p>
        {canEdit && <OllamaForm key={ollama.url ?? ""} teamId={teamId} current={ollama.url} />}
      </section>
      {!canEdit && (
        <p className="text-sm text-slate-600" title={`Only admins and owners change team credentials; you are a ${role}.`}>
          Your own tokens (Settings) are used first; the team's only when you have none.
        </p>
      )}
    </div>
  );
}
