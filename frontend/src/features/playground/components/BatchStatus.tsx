import { Pill, type PillTone } from "@/components/ui/Pill";
import type { BatchRead } from "@/lib/api/types";

const TONES: Record<BatchRead["status"], PillTone> = {
  queued: "neutral",
  running: "info",
  done: "success",
  failed: "danger",
  cancelled: "warning",
};

const WORDS: Record<BatchRead["status"], string> = {
  queued: "waiting for a worker",
  running: "answering",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
};

export function BatchStatus({ status }: { status: BatchRead["status"] }) {
  return <Pill tone={TONES[status]}>{WORDS[status]}</Pill>;
}
