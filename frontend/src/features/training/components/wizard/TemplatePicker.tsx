import { Link } from "react-router";
import { useTemplates } from "../../api/list-templates";

/** The team's saved configurations: each opens the wizard prefilled with it. */
export function TemplatePicker({ teamId }: { teamId: string }) {
  const templates = useTemplates(teamId);
  if (!templates.data?.length) return null;
  return (
    <nav aria-label="Templates" className="mb-4 flex flex-wrap items-center gap-2 text-sm">
      <span className="text-slate-600">Start from a template:</span>
      {templates.data.map((template) => (
        <Link
          key={template.id}
          to={`/training/new?template=${template.id}`}
          className="rounded-full bg-white px-3 py-1 text-indigo-700 ring-1 ring-inset ring-slate-200 hover:bg-indigo-50"
          title={template.description || undefined}
        >
          {template.name}
        </Link>
      ))}
    </nav>
  );
}
