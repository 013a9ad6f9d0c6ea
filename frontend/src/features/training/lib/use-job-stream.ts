import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { ReconnectingSocket, socketUrl, type SocketState } from "@/lib/realtime/socket";
import { jobKey } from "../api/keys";
import { applyEvents, initialJobStream, type JobStreamState, type StreamEvent } from "./job-stream";

// Events arriving together (the backlog of a long run: thousands) are folded in one render.
const FLUSH_MS = 120;
const REFETCH_ON = new Set(["status", "started", "finished", "failed", "cancelled", "checkpoint"]);

export type JobStream = { state: JobStreamState; connection: SocketState; synced: boolean; problem: string | null };

/**
 * The whole history of a job, then its live events: `WS /api/ws/jobs/{id}?after_seq=N`, where N is
 * the last seq received, so reconnects resume without gaps or duplicates.
 */
export function useJobStream(jobId: string): JobStream {
  const queryClient = useQueryClient();
  const [stream, setStream] = useState<JobStream>(() => ({
    state: initialJobStream(),
    connection: "connecting",
    synced: false,
    problem: null,
  }));
  const stateRef = useRef<JobStreamState>(stream.state);

  useEffect(() => {
    stateRef.current = initialJobStream();
    setStream({ state: stateRef.current, connection: "connecting", synced: false, problem: null });
    let pending: StreamEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    let refetch = false;
    const flush = () => {
      timer = null;
      const batch = pending;
      pending = [];
      stateRef.current = applyEvents(stateRef.current, batch);
      const state = stateRef.current;
      setStream((previous) => ({ ...previous, state }));
      if (refetch) void queryClient.invalidateQueries({ queryKey: jobKey(jobId) });
      refetch = false;
    };
    const socket = new ReconnectingSocket({
      // Resume after the last event this page has, received or still waiting in the batch.
      url: () => {
        const lastPending = pending.length ? pending[pending.length - 1]!.seq : 0;
        const after = Math.max(stateRef.current.lastSeq, lastPending);
        return socketUrl(`/api/ws/jobs/${jobId}?after_seq=${after}`);
      },
      onMessage: (message) => {
        if (message.kind === "event") {
          const event = message as unknown as StreamEvent;
          pending.push(event);
          if (REFETCH_ON.has(event.type)) refetch = true;
          timer ??= setTimeout(flush, FLUSH_MS);
        } else if (message.kind === "synced") {
          if (timer) clearTimeout(timer);
          flush();
          setStream((previous) => ({ ...previous, synced: true }));
          void queryClient.invalidateQueries({ queryKey: jobKey(jobId) });
        }
      },
      onStateChange: (connection, detail) =>
        setStream((previous) => ({ ...previous, connection, problem: detail ?? (connection === "open" ? null : previous.problem) })),
    }).start();
    return () => {
      socket.stop();
      if (timer) clearTimeout(timer);
    };
  }, [jobId, queryClient]);

  return stream;
}
