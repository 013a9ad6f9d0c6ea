import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/Page";

export function DatasetsRoute() {
  return (
    <>
      <PageHeader title="Datasets" description="Training data for your team, versioned and checked before it is used." />
      <EmptyState title="No datasets yet">
        <p>Upload JSONL, CSV, Parquet, text or Markdown; TuneForge validates, versions and previews them.</p>
        <p className="mt-2">
          Chat, instruction, preference and plain-text formats (Alpaca, ShareGPT, OpenAI chat, Dolly, HH) are
          recognised and mapped onto the shape each training method needs; problems are listed row by row.
        </p>
      </EmptyState>
    </>
  );
}
