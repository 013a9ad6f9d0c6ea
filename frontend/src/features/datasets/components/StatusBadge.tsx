import { cn } from "@/components/ui/cn";

export function StatusBadge({ status }: { status: string }) {
  const usable = status === "usable";
  return (
    <span
      className={cn(
        "inline-flex whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset",
        usable ? "bg-emerald-50 text-emerald-800 ring-emerald-200" : "bg-red-50 text-red-800 ring-red-200",
      )}
    >
      {usable ? "Ready" : "Has errors"}
    </span>
  );
}
