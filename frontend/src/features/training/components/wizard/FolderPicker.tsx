import { ErrorAlert } from "@/components/ui/Feedback";
import { RadioCard } from "@/components/ui/RadioCard";
import { TextField } from "@/components/ui/TextField";
import { useModelFolders } from "../../api/list-model-folders";

/** The registered model folders, or a typed path inside one of them. */
export function FolderPicker({ value, onChange }: { value: string; onChange: (path: string) => void }) {
  const folders = useModelFolders();
  return (
    <div className="space-y-4">
      <ErrorAlert error={folders.error} />
      {folders.data && folders.data.length === 0 && (
        <p className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700">
          No model folder is registered on this server. An administrator can set TUNEFORGE_MODEL_DIRS to the
          directories that hold them (see the README), then they are listed here.
        </p>
      )}
      {folders.data && folders.data.length > 0 && (
        <fieldset>
          <legend className="mb-2 text-sm font-semibold text-slate-900">Registered folders</legend>
          <div className="grid gap-2 md:grid-cols-2">
            {folders.data.map((folder) => (
              <RadioCard
                key={folder.path}
                name="model-folder"
                value={folder.path}
                checked={value === folder.path}
                onChange={onChange}
                title={folder.name}
                description={folder.path}
              />
            ))}
          </div>
        </fieldset>
      )}
      <TextField
        label="Folder path"
        placeholder="/models/my-model"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        hint="An absolute path inside a registered folder, holding config.json and the weights."
        error={value && !value.startsWith("/") ? "Use an absolute path (starting with /)." : null}
      />
    </div>
  );
}
