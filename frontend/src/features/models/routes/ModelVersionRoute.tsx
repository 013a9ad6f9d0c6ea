import { useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, Notice, StatusMessage } from "@/components/ui/Feedback";
import { Card, PageHeader } from "@/components/ui/Page";
import { Pill } from "@/components/ui/Pill";
import { RoleGate } from "@/components/ui/RoleGate";
import { PageLoader } from "@/components/ui/Spinner";
import { TextField } from "@/components/ui/TextField";
import { useCurrentTeam } from "@/lib/auth/current-team";
import { useTeamRole } from "@/lib/auth/team-role";
import type { ModelVersionRead, PublicationRead } from "@/lib/api/types";
import { useDeleteVersion, useModelVersion, useSetTag, useUpdateVersion } from "../api/models";
import { usePublications } from "../api/publishing";
import { PublishDialog } from "../components/publish/PublishDialog";
import { PublishingHistory } from "../components/publish/PublishingHistory";
import { TARGET_LABELS } from "../components/publish/words";
import { formatBytes, formatValue } from "../lib";

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-3 gap-2 py-1 text-sm">
      <dt className="text-slate-600">{label}</dt>
      <dd className="col-span-2 break-all text-slate-900">{children}</dd>
    </div>
  );
}

function Lineage({ version }: { version: ModelVersionRead }) {
  const l = version.lineage;
  const base = l.base_model;
  const libraries = l.libraries ?? {};
  const hardware = l.hardware ?? {};
  return (
    <dl>
      {l.recorded === "backfilled" && (
        <Notice tone="info">Recorded when the registry was added: not known — {(l.unknown ?? []).join(", ")}.</Notice>
      )}
      <Fact label="Job">
        {l.job_id ? <Link className="text-indigo-700 hover:underline" to={`/training/${l.job_id}`}>{l.job_name ?? l.job_id}</Link> : "—"}
      </Fact>
      <Fact label="Launched by">{l.launched_by?.name ?? "—"}</Fact>
      <Fact label="Base model">
        {base.version_id ? (
          <Link className="text-indigo-700 hover:underline" to={`/models/versions/${base.version_id}`}>{base.reference}</Link>
        ) : (
          base.reference
        )}{" "}
        <span className="text-xs text-slate-500">({base.kind})</span>
        {base.files_sha256 && (
          <ul className="mt-1 font-mono text-xs text-slate-600">
            {Object.entries(base.files_sha256).map(([file, sha]) => (
              <li key={file}>{file}: {sha.slice(0, 16)}…</li>
            ))}
          </ul>
        )}
        {base.note && <p className="text-xs text-slate-500">{base.note}</p>}
      </Fact>
      {(l.datasets ?? []).map((d) => (
        <Fact key={d.version_id} label="Dataset">
          {d.dataset_id ? (
            <Link className="text-indigo-700 hover:underline" to={`/datasets/${d.dataset_id}?version=${d.version_id}`}>
              {d.dataset_name} v{d.version_number}
            </Link>
          ) : (
            d.version_id
          )}
          {d.weight !== 1 && <span className="text-xs text-slate-500"> · weight {d.weight}</span>}
          <span className="block font-mono text-xs text-slate-600">sha256 {d.file_sha256 ?? "unknown"}</span>
        </Fact>
      ))}
      <Fact label="Libraries">
        {Object.keys(libraries).length ? Object.entries(libraries).map(([k, v]) => `${k} ${v}`).join(", ") : "unknown"}
      </Fact>
      <Fact label="Hardware">
        {[hardware.executor, hardware.worker, hardware.device_name ?? hardware.device_type, hardware.gpu_type]
          .filter(Boolean)
          .join(" · ") || "unknown"}
      </Fact>
      <Fact label="Duration">{l.duration_s != null ? `${Math.round(l.duration_s)} s` : "—"}</Fact>
      <Fact label="GPU-hours · cost">
        {formatValue(l.gpu_hours)} · {l.cost_usd != null ? `$${l.cost_usd.toFixed(2)}` : "—"}
      </Fact>
      <Fact label="Final metrics">
        <span className="font-mono text-xs">
          {Object.entries(l.metrics ?? {})
            .filter(([, v]) => typeof v === "number")
            .map(([k, v]) => `${k} ${formatValue(v)}`)
            .join(", ") || "—"}
        </span>
      </Fact>
    </dl>
  );
}

export function ModelVersionRoute() {
  const { versionId } = useParams();
  const { team } = useCurrentTeam();
  const version = useModelVersion(versionId);
  const update = useUpdateVersion(team?.id);
  const setTag = useSetTag(team?.id);
  const remove = useDeleteVersion(team?.id);
  const navigate = useNavigate();
  const [tag, setTagName] = useState("");
  const [notes, setNotes] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [started, setStarted] = useState<PublicationRead | null>(null);
  const publishButton = useRef<HTMLButtonElement>(null);
  const publications = usePublications(versionId ?? "");
  // Queued, running or published: the server keeps the version while these depend on it.
  const kept = (publications.data ?? []).filter((p) => p.status !== "failed" && p.status !== "cancelled").length;
  // Viewers see the publications' Cancel and Delete disabled, with the reason (PublishingHistory).
  const canEdit = Boolean(team);
  const publishWhy = useTeamRole().reason("member", "publish models");

  if (version.isPending) return <PageLoader label="Loading the model version" />;
  if (version.isError) return <ErrorAlert error={version.error} />;
  const v = version.data;
  const deleteVersion = () => {
    if (window.confirm(`Delete ${v.model_name} v${v.number} from the registry? The job and its files stay.`)) {
      remove.mutate(v, { onSuccess: () => navigate("/models") });
    }
  };
  const closePublish = () => {
    setPublishing(false);
    publishButton.current?.focus();
  };
  return (
    <>
      <PageHeader
        title={`${v.model_name} v${v.number}`}
        description={`Use it as a base model: ${v.reference}`}
        actions={
          <div className="flex flex-wrap items-center gap-3">
            {/* A version without its files cannot answer (the playground would refuse it with 409). */}
            {!v.files_missing && (
              <>
                <Button
                  ref={publishButton}
                  variant="secondary"
                  aria-expanded={publishing}
                  disabled={publishWhy !== null}
                  aria-disabled={publishWhy !== null || undefined}
                  title={publishWhy ?? undefined}
                  onClick={() => {
                    setStarted(null);
                    setPublishing((open) => !open);
                  }}
                >
                  Publish
                </Button>
                <Link
                  className="inline-flex items-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
                  to={`/playground?version=${v.id}&compare=base`}
                >
                  Open in playground
                </Link>
                <Link className="text-sm text-indigo-700 hover:underline" to={`/playground/batch?targets=${v.id},base:${v.id}`}>
                  Batch compare with its base
                </Link>
              </>
            )}
            <Link className="text-sm text-indigo-700 hover:underline" to="/models">All models</Link>
          </div>
        }
      />
      <div className="space-y-6">
        {publishing && !v.files_missing && (
          <PublishDialog
            version={v}
            onClose={closePublish}
            onPublished={(publication) => {
              setStarted(publication);
              closePublish();
            }}
          />
        )}
        {v.files_missing && (
          <Notice tone="warning">
            This version's files are missing or damaged (its job's output was deleted, lost, or a file was cut short). It
            cannot be used as a base model, in the playground or for publishing; delete it from the registry.{" "}
            <RoleGate needs="member" action="delete model versions" className="inline">
              <Button variant="danger" onClick={deleteVersion} pending={remove.isPending}>Delete this version</Button>
            </RoleGate>
          </Notice>
        )}
        <Card title="Tags">
          <RoleGate needs="member" action="tag model versions">
            <div className="flex flex-wrap items-center gap-2">
              {v.tags.map((t) => (
                <Pill key={t}>
                  {t}{" "}
                  <button aria-label={`Remove tag ${t}`} onClick={() => setTag.mutate({ id: v.id, tag: t, remove: true })}>×</button>
                </Pill>
              ))}
              {v.archived && <Pill tone="warning">archived</Pill>}
            </div>
            <form
              className="mt-3 flex items-end gap-2"
              onSubmit={(e) => {
                e.preventDefault();
                if (tag.trim()) setTag.mutate({ id: v.id, tag: tag.trim().toLowerCase() }, { onSuccess: () => setTagName("") });
              }}
            >
              <TextField label="Add or move a tag" hint="e.g. production, candidate: one version per tag" value={tag} onChange={(e) => setTagName(e.target.value)} />
              <Button type="submit" variant="secondary" pending={setTag.isPending} disabled={v.archived}>Tag</Button>
            </form>
          </RoleGate>
          <ErrorAlert error={setTag.error} />
        </Card>
        <Card title="Publishing history" description="Where this version was published, and how it checked out; newest first.">
          <StatusMessage className="mb-3">
            {started && `Publishing to ${TARGET_LABELS[started.target]} started: follow it below.`}
          </StatusMessage>
          <PublishingHistory versionId={v.id} canEdit={canEdit} />
        </Card>
        <Card title="Lineage" description="Recorded when the job succeeded; never edited.">
          <Lineage version={v} />
        </Card>
        <Card title="Files">
          <ul className="font-mono text-xs">
            {(v.lineage.files ?? []).map((f) => (
              <li key={f.path}>{f.path} · {formatBytes(f.size_bytes)}</li>
            ))}
            {(v.lineage.files ?? []).length === 0 && <li className="font-sans text-sm text-slate-600">Not recorded.</li>}
          </ul>
        </Card>
        <Card title="Notes">
          <RoleGate needs="member" action="edit model versions">
            <textarea
              aria-label="Notes"
              className="w-full rounded border border-slate-300 p-2 text-sm"
              rows={4}
              value={notes ?? v.notes}
              onChange={(e) => setNotes(e.target.value)}
            />
            <Button variant="secondary" pending={update.isPending} onClick={() => update.mutate({ id: v.id, notes: notes ?? v.notes })}>
              Save notes
            </Button>
          </RoleGate>
        </Card>
        <Card title="Manage">
          {v.used_by.length > 0 && (
            <p className="mb-2 text-sm text-slate-700">
              Jobs starting from this version (it cannot be deleted while they exist):{" "}
              {v.used_by.map((u) => (
                <Link key={u.job_id} className="mr-2 text-indigo-700 hover:underline" to={`/training/${u.job_id}`}>{u.job_name}</Link>
              ))}
            </p>
          )}
          {kept > 0 && (
            <p className="mb-2 text-sm text-slate-700">
              {kept === 1 ? "1 publication depends" : `${kept} publications depend`} on this version (queued, running or
              published): delete {kept === 1 ? "it" : "them"} in Publishing history before deleting the version.
            </p>
          )}
          <RoleGate needs="member" action="archive or delete model versions">
            <div className="flex gap-2">
              <Button variant="secondary" onClick={() => update.mutate({ id: v.id, archived: !v.archived })}>
                {v.archived ? "Unarchive" : "Archive"}
              </Button>
              <Button variant="danger" onClick={deleteVersion} disabled={v.used_by.length > 0 || kept > 0} pending={remove.isPending}>
                Delete
              </Button>
            </div>
          </RoleGate>
          <ErrorAlert error={update.error ?? remove.error} />
        </Card>
      </div>
    </>
  );
}
