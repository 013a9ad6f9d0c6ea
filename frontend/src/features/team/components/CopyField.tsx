import { useState } from "react";
import { Button } from "@/components/ui/Button";

/** A read-only value with a Copy button (the clipboard may be refused: the text stays selectable). */
export function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  }
  return (
    <div className="space-y-1">
      <span className="block text-sm font-medium text-slate-800">{label}</span>
      <div className="flex gap-2">
        <input
          readOnly
          aria-label={label}
          value={value}
          onFocus={(event) => event.currentTarget.select()}
          className="block w-full rounded-md border-0 bg-slate-50 px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-inset ring-slate-300"
        />
        <Button variant="secondary" onClick={copy}>
          {copied === "yes" ? "Copied" : "Copy link"}
        </Button>
      </div>
      {copied === "no" && <p className="text-xs text-slate-600">The browser did not allow copying: select the link and copy it.</p>}
    </div>
  );
}

export function absoluteLink(link: string): string {
  return `${window.location.origin}${link}`;
}
