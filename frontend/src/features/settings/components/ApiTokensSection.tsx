import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice } from "@/components/ui/Feedback";
import { Card } from "@/components/ui/Page";
import { Pill } from "@/components/ui/Pill";
import { SelectField } from "@/components/ui/SelectField";
import { TextField } from "@/components/ui/TextField";
import { fieldRule } from "@/lib/api/field-rules";
import type { ApiTokenCreated, ApiTokenRead } from "@/lib/api/types";
import { formatDateTime } from "@/lib/format";
import { useApiTokens, useCreateApiToken, useRevokeApiToken } from "../api/api-tokens";

const DAYS = fieldRule("ApiTokenCreate", "expires_in_days");
const MIN_DAYS = DAYS.minimum ?? 1;
const MAX_DAYS = DAYS.maximum ?? 365;
const DEFAULT_DAYS = typeof DAYS.default === "number" ? DAYS.default : 90;
const EXPIRY_OPTIONS = [7, 30, DEFAULT_DAYS, 180, MAX_DAYS]
  .filter((days, index, all) => days >= MIN_DAYS && days <= MAX_DAYS && all.indexOf(days) === index)
  .sort((a, b) => a - b)
  .map((days) => ({ value: String(days), label: `${days} days` }));
const SCOPE_OPTIONS = [
  { value: "read", label: "Read: GET requests only" },
  { value: "write", label: "Write: upload, launch, and everything your roles allow" },
];

function tokenState(token: ApiTokenRead): { label: string; tone: "neutral" | "success" | "danger" | "warning" } {
  if (token.revoked_at) return { label: "revoked", tone: "danger" };
  if (new Date(token.expires_at).getTime() <= Date.now()) return { label: "expired", tone: "warning" };
  return { label: "active", tone: "success" };
}

/** The token just made: shown this once, with Copy. */
function NewToken({ created, onDone }: { created: ApiTokenCreated; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  }
  return (
    <div className="space-y-2 rounded-md border border-amber-200 bg-amber-50 p-3">
      <Notice tone="warning">
        Copy the token “{created.name}” now: it is shown only this once. Anyone holding it acts as you
        {created.scope === "write" ? " (including uploads and launches)" : " (read only)"}.
      </Notice>
      <div className="flex gap-2">
        <input
          readOnly
          aria-label="New API token"
          value={created.token}
          onFocus={(event) => event.currentTarget.select()}
          className="block w-full rounded-md border-0 bg-white px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-inset ring-slate-300"
        />
        <Button variant="secondary" onClick={copy}>
          {copied === "yes" ? "Copied" : "Copy"}
        </Button>
        <Button variant="secondary" onClick={onDone}>
          Done
        </Button>
      </div>
      {copied === "no" && <p className="text-xs text-slate-600">The browser did not allow copying: select the token and copy it.</p>}
    </div>
  );
}

export function ApiTokensSection() {
  const tokens = useApiTokens();
  const create = useCreateApiToken();
  const revoke = useRevokeApiToken();
  const [name, setName] = useState("");
  const [scope, setScope] = useState<"read" | "write">("read");
  const [days, setDays] = useState(String(DEFAULT_DAYS));
  const [nameError, setNameError] = useState<string | null>(null);
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = name.trim();
    setNameError(value ? null : "Name the token, e.g. what it is for.");
    if (!value) return;
    create.mutate(
      { name: value, scope, expires_in_days: Number(days) },
      {
        onSuccess: (token) => {
          setCreated(token);
          setName("");
        },
      },
    );
  }

  function confirmRevoke(token: ApiTokenRead) {
    if (window.confirm(`Revoke the API token “${token.name}” (…${token.last_four})? Scripts using it stop working at once.`)) {
      revoke.mutate(token.id);
    }
  }

  return (
    <Card
      title="API tokens"
      description={
        <>
          Personal tokens for scripts and automation: send <span className="font-mono">Authorization: Bearer tfp_…</span>.
          A token acts as you, with your roles in each team. Only a password sign-in can create or revoke them.
        </>
      }
    >
      <div className="space-y-4">
        {created && <NewToken created={created} onDone={() => setCreated(null)} />}
        <form onSubmit={submit} className="grid max-w-2xl gap-4 sm:grid-cols-3" noValidate>
          <TextField
            label="Token name"
            value={name}
            maxLength={fieldRule("ApiTokenCreate", "name").maxLength}
            placeholder="CI uploads"
            error={nameError}
            onChange={(e) => setName(e.target.value)}
          />
          <SelectField label="Scope" value={scope} options={SCOPE_OPTIONS} onChange={(e) => setScope(e.target.value as "read" | "write")} />
          <SelectField label="Expires in" value={days} options={EXPIRY_OPTIONS} onChange={(e) => setDays(e.target.value)} />
          <div className="sm:col-span-3">
            <ErrorAlert error={create.error} />
            <Button type="submit" pending={create.isPending}>
              Create token
            </Button>
          </div>
        </form>
        <ErrorAlert error={tokens.error ?? revoke.error} />
        {tokens.isPending ? (
          <p className="text-sm text-slate-500">Loading API tokens…</p>
        ) : tokens.data && tokens.data.length === 0 ? (
          <p className="text-sm text-slate-600">No API tokens yet.</p>
        ) : (
          <ul className="divide-y divide-slate-100" aria-label="Your API tokens">
            {tokens.data?.map((token) => {
              const state = tokenState(token);
              return (
                <li key={token.id} className="flex flex-wrap items-center gap-3 py-2 text-sm">
                  <div className="min-w-0 flex-1">
                    <p className="font-medium text-slate-900">
                      {token.name} <span className="font-mono text-xs text-slate-500">tfp_…{token.last_four}</span>{" "}
                      <Pill tone={token.scope === "write" ? "info" : "neutral"}>{token.scope}</Pill>{" "}
                      <Pill tone={state.tone}>{state.label}</Pill>
                    </p>
                    <p className="text-xs text-slate-500">
                      created {formatDateTime(token.created_at)} · {state.label === "expired" ? "expired" : "expires"}{" "}
                      {formatDateTime(token.expires_at)} · {token.last_used_at ? `last used ${formatDateTime(token.last_used_at)}` : "never used"}
                      {token.revoked_at && ` · revoked ${formatDateTime(token.revoked_at)}`}
                    </p>
                  </div>
                  {!token.revoked_at && (
                    <Button
                      variant="danger"
                      onClick={() => confirmRevoke(token)}
                      pending={revoke.isPending && revoke.variables === token.id}
                      aria-label={`Revoke the API token ${token.name}`}
                    >
                      Revoke
                    </Button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </Card>
  );
}
