import { useState } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert, StatusMessage } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import { useCreateTemplate } from "../../api/create-template";
import type { Estimate, JobCreate } from "../../api/types";

export function ReviewStep({
  teamId,
  body,
  estimate,
  estimateError,
}: {
  teamId: string;
  body: JobCreate;
  estimate: Estimate | undefined;
  estimateError: unknown;
}) {
  const [copied, setCopied] = useState(false);
  const [templateName, setTemplateName] = useState("");
  const saveTemplate = useCreateTemplate(teamId);
  const yaml = estimate?.spec_yaml ?? "";
  function save() {
    saveTemplate.mutate({ name: templateName.trim(), description: "", config: body as Record<string, unknown> });
  }
  async function copy() {
    try {
      await navigator.clipboard.writeText(yaml);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div className="space-y-6">
      <ErrorAlert error={estimateError} />
      <div>
        <div className="mb-2 flex items-center justify-between gap-2">
          <h3 className="text-sm font-semibold text-slate-900">The spec, for `tuneforge train`</h3>
          <Button variant="secondary" onClick={copy} disabled={!yaml}>
            {copied ? "Copied" : "Copy YAML"}
          </Button>
        </div>
        <pre aria-label="Spec YAML" className="max-h-96 overflow-auto rounded-md bg-slate-950 p-3 text-xs text-slate-100">
          {yaml || "Waiting for the estimate…"}
        </pre>
      </div>
      {/* Not a <form>: this sits inside the wizard's form, and forms cannot nest. */}
      <div role="group" aria-label="Save as template" className="flex flex-wrap items-end gap-2">
        <TextField
          label="Template name"
          value={templateName}
          onChange={(e) => setTemplateName(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              if (templateName.trim()) save();
            }
          }}
          maxLength={200}
          className="min-w-60 flex-1"
        />
        <Button variant="secondary" pending={saveTemplate.isPending} disabled={!templateName.trim()} onClick={save}>
          Save as template
        </Button>
      </div>
      <ErrorAlert error={saveTemplate.error} />
      {saveTemplate.isSuccess && <StatusMessage>Saved the template “{saveTemplate.data.name}”.</StatusMessage>}
    </div>
  );
}
