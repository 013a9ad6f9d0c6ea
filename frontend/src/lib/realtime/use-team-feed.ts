import { useEffect, useRef } from "react";
import { ReconnectingSocket, socketUrl } from "./socket";

export type TeamFeedMessage = { kind: "job"; job_id: string; status: string };

/**
 * Calls `onJobChange` whenever a job of the team changes (status or progress), via
 * `WS /api/ws/teams/{team_id}`. Views refetch on it; after a reconnect they refetch too, since
 * the feed has no backlog.
 */
export function useTeamFeed(teamId: string | undefined, onJobChange: (message: TeamFeedMessage | null) => void) {
  const callback = useRef(onJobChange);
  callback.current = onJobChange;
  useEffect(() => {
    if (!teamId) return;
    let connectedBefore = false;
    const socket = new ReconnectingSocket({
      url: () => socketUrl(`/api/ws/teams/${teamId}`),
      onMessage: (message) => {
        if (message.kind === "job") callback.current(message as unknown as TeamFeedMessage);
        else if (message.kind === "synced") {
          if (connectedBefore) callback.current(null);
          connectedBefore = true;
        }
      },
    }).start();
    return () => socket.stop();
  }, [teamId]);
}
