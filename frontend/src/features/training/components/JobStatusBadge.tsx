import { Pill, type PillTone } from "@/components/ui/Pill";

const TONES: Record<string, PillTone> = {
  queued: "neutral",
  running: "info",
  cancelling: "warning",
  interrupted: "warning",
  succeeded: "success",
  failed: "danger",
  cancelled: "neutral",
};

export function JobStatusBadge({ status }: { status: string }) {
  return (
    <Pill tone={TONES[status] ?? "neutral"}>
      {status === "running" && <span aria-hidden="true" className="size-1.5 animate-pulse rounded-full bg-indigo-600" />}
      {status}
    </Pill>
  );
}
