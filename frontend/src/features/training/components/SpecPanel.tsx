import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { downloadJobFile } from "../api/download-artifact";
import { useSpecYaml } from "../api/get-spec-yaml";
import type { JobRead } from "@/lib/api/types";

/** What was submitted (config) and the resolved spec as YAML (what ran, for `tuneforge train`). */
export function SpecPanel({ job }: { job: JobRead }) {
  const [showYaml, setShowYaml] = useState(false);
  const yaml = useSpecYaml(job.id, showYaml);
  const [error, setError] = useState<unknown>(null);
  const { data: _files, ...config } = job.config as Record<string, unknown>;
  return (
    <div className="min-w-0 space-y-3">
      <details>
        <summary className="cursor-pointer text-sm font-medium text-slate-800">Settings as submitted</summary>
        <pre className="mt-2 max-h-80 overflow-auto whitespace-pre-wrap wrap-anywhere rounded-md bg-slate-50 p-3 text-xs">{JSON.stringify(config, null, 2)}</pre>
      </details>
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" onClick={() => setShowYaml((s) => !s)} aria-expanded={showYaml}>
          {showYaml ? "Hide resolved spec" : "Show resolved spec (YAML)"}
        </Button>
        <Button variant="secondary" onClick={() => downloadJobFile(job.id, "spec.yaml", `${job.id}.yaml`).catch(setError)}>
          Download spec.yaml
        </Button>
      </div>
      {showYaml && (yaml.error ? <ErrorAlert error={yaml.error} /> : (
        <pre aria-label="Resolved spec" className="max-h-96 overflow-auto whitespace-pre-wrap wrap-anywhere rounded-md bg-slate-50 p-3 text-xs">{yaml.data ?? "Loading…"}</pre>
      ))}
      <ErrorAlert error={error} />
    </div>
  );
}
