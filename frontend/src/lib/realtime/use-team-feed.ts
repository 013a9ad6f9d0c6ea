import { useEffect, useRef } from "react";
import { ReconnectingSocket, socketUrl } from "./socket";

export type TeamFeedMessage = { kind: "job"; job_id: string; status: string };
type Listener = (message: TeamFeedMessage | null) => void;

// One WebSocket per team, shared by every view that listens (the shell's job notifications, the
// dashboard, the training list), opened with the first listener and closed with the last.
const feeds = new Map<string, { socket: ReconnectingSocket; listeners: Set<Listener> }>();

function subscribe(teamId: string, listener: Listener): () => void {
  let feed = feeds.get(teamId);
  if (!feed) {
    const listeners = new Set<Listener>();
    let connectedBefore = false;
    const socket = new ReconnectingSocket({
      url: () => socketUrl(`/api/ws/teams/${teamId}`),
      onMessage: (message) => {
        if (message.kind === "job") {
          listeners.forEach((each) => each(message as unknown as TeamFeedMessage));
        } else if (message.kind === "synced") {
          if (connectedBefore) listeners.forEach((each) => each(null));
          connectedBefore = true;
        }
      },
    });
    feed = { socket, listeners };
    feeds.set(teamId, feed);
    socket.start();
  }
  const current = feed;
  current.listeners.add(listener);
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size === 0) {
      current.socket.stop();
      if (feeds.get(teamId) === current) feeds.delete(teamId);
    }
  };
}

/**
 * Calls `onJobChange` whenever a job of the team changes (status or progress), via
 * `WS /api/ws/teams/{team_id}`. Views refetch on it; after a reconnect they are called with null
 * and refetch too, since the feed has no backlog.
 */
export function useTeamFeed(teamId: string | undefined, onJobChange: (message: TeamFeedMessage | null) => void) {
  const callback = useRef(onJobChange);
  callback.current = onJobChange;
  useEffect(() => {
    if (!teamId) return;
    return subscribe(teamId, (message) => callback.current(message));
  }, [teamId]);
}
