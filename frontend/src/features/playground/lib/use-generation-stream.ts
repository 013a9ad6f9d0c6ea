import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { GenerationRead } from "@/lib/api/types";
import { ReconnectingSocket, socketUrl, type SocketState } from "@/lib/realtime/socket";
import { generationKey } from "../api/keys";
import { applyStreamMessage, isTerminal, type StreamMessage } from "./generation-stream";

// Pieces arriving together are folded in one render.
const FLUSH_MS = 40;

/**
 * Follows an unfinished answer on `WS /api/ws/generations/{id}` (signed in with the first message, like
 * the job sockets) and keeps its query entry current: snapshots replace it, deltas append. The socket
 * is stopped at the terminal snapshot (the server then closes it normally). A reconnect starts with a
 * snapshot, so nothing is lost or doubled.
 */
export function useGenerationStream(generationId: string, live: boolean): { connection: SocketState; problem: string | null } {
  const queryClient = useQueryClient();
  const [state, setState] = useState<{ connection: SocketState; problem: string | null }>({ connection: "connecting", problem: null });

  useEffect(() => {
    if (!live) return;
    let pending: StreamMessage[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const key = generationKey(generationId);
    const flush = () => {
      timer = null;
      const batch = pending;
      pending = [];
      const current = queryClient.getQueryData<GenerationRead>(key);
      if (!current) return;
      const next = batch.reduce(applyStreamMessage, current);
      queryClient.setQueryData(key, next);
      if (isTerminal(next)) socket.stop();
    };
    const socket = new ReconnectingSocket({
      url: () => socketUrl(`/api/ws/generations/${generationId}`),
      onMessage: (message) => {
        if (message.kind !== "snapshot" && message.kind !== "delta") return;
        pending.push(message as unknown as StreamMessage);
        // A snapshot may end the answer: apply it at once, so the socket stops before the server closes.
        if (message.kind === "snapshot") {
          if (timer) clearTimeout(timer);
          flush();
          setState({ connection: "open", problem: null });
        } else {
          timer ??= setTimeout(flush, FLUSH_MS);
        }
      },
      onStateChange: (connection, detail) =>
        setState((previous) => ({
          connection: connection === "connecting" && previous.connection === "open" ? previous.connection : connection,
          problem: detail ?? (connection === "reconnecting" ? previous.problem : null),
        })),
    }).start();
    return () => {
      socket.stop();
      if (timer) clearTimeout(timer);
    };
  }, [generationId, live, queryClient]);

  return state;
}
