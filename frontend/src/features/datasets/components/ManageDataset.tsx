import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/Button";
import { ErrorAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/TextField";
import type { DatasetRead } from "@/lib/api/types";
import { formatNumber } from "@/lib/format";
import { useDeleteDataset } from "../api/delete-dataset";
import { useUpdateDataset } from "../api/update-dataset";

type Mode = "idle" | "edit" | "delete";

/** Rename, describe, archive (or restore) and delete a dataset. Deleting is refused, with the jobs named,
 * while a job uses one of its versions; archiving hides it instead. */
export function ManageDataset({ teamId, dataset, onDeleted }: { teamId: string; dataset: DatasetRead; onDeleted: () => void }) {
  const [mode, setMode] = useState<Mode>("idle");
  const [name, setName] = useState(dataset.name);
  const [description, setDescription] = useState(dataset.description);
  const update = useUpdateDataset();
  const remove = useDeleteDataset();
  const nameError = name.trim() ? null : "Give the dataset a name.";

  function start(next: Mode) {
    update.reset();
    remove.reset();
    setName(dataset.name);
    setDescription(dataset.description);
    setMode(next);
  }

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (nameError) return;
    update.mutate(
      { teamId, datasetId: dataset.id, name: name.trim(), description: description.trim() },
      { onSuccess: () => setMode("idle") },
    );
  }

  return (
    <div className="space-y-3">
      {dataset.archived && (
        <p className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700">
          This dataset is archived: it is hidden from the datasets list and not offered in the training wizard.
        </p>
      )}
      {mode === "idle" && (
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" onClick={() => start("edit")}>
            Rename or describe
          </Button>
          <Button
            variant="secondary"
            pending={update.isPending}
            onClick={() => update.mutate({ teamId, datasetId: dataset.id, archived: !dataset.archived })}
          >
            {dataset.archived ? "Unarchive" : "Archive"}
          </Button>
          <Button variant="danger" onClick={() => start("delete")}>
            Delete…
          </Button>
        </div>
      )}
      {mode === "edit" && (
        <form onSubmit={save} className="max-w-xl space-y-3" noValidate aria-label="Rename or describe">
          <TextField label="Name" maxLength={200} value={name} error={nameError} onChange={(e) => setName(e.target.value)} />
          <div className="space-y-1">
            <label htmlFor={`description-${dataset.id}`} className="block text-sm font-medium text-slate-800">
              Description
            </label>
            <textarea
              id={`description-${dataset.id}`}
              rows={3}
              maxLength={5000}
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              className="block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
            />
          </div>
          <div className="flex gap-2">
            <Button type="submit" pending={update.isPending}>
              Save
            </Button>
            <Button variant="secondary" onClick={() => setMode("idle")}>
              Cancel
            </Button>
          </div>
        </form>
      )}
      {mode === "delete" && (
        <div className="max-w-xl space-y-3 rounded-md border border-red-200 bg-red-50/50 p-3">
          <p className="text-sm text-slate-800">
            Delete “{dataset.name}” and its {formatNumber(dataset.versions)} {dataset.versions === 1 ? "version" : "versions"}?
            Their files are removed; this cannot be undone. To only hide it, archive it instead.
          </p>
          <div className="flex gap-2">
            <Button
              variant="danger"
              pending={remove.isPending}
              onClick={() => remove.mutate({ teamId, datasetId: dataset.id }, { onSuccess: onDeleted })}
            >
              Delete permanently
            </Button>
            <Button variant="secondary" onClick={() => setMode("idle")}>
              Cancel
            </Button>
          </div>
        </div>
      )}
      <ErrorAlert error={update.error ?? remove.error} />
    </div>
  );
}
