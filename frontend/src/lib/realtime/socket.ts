import { getAccessToken } from "@/lib/auth/session";
import { refreshSession } from "@/lib/auth/refresh";

/**
 * A WebSocket to the TuneForge API that authenticates with its first message and reconnects
 * with exponential backoff. `url()` is asked again before each connection, so a caller can put
 * its resume point (`after_seq`) in it. Close codes 4401 (signed out: one refresh, then retry)
 * and 4404 (no such resource) are the server's; any other close is treated as a network blip.
 */
export type SocketState = "connecting" | "open" | "reconnecting" | "closed";

export type ReconnectingSocketOptions = {
  url: () => string;
  onMessage: (message: Record<string, unknown>) => void;
  onStateChange?: (state: SocketState, detail?: string) => void;
  getToken?: () => string | null;
  refresh?: () => Promise<boolean>;
  WebSocketImpl?: typeof WebSocket;
  /** Delay before reconnect attempt n (0-based), in ms. */
  backoff?: (attempt: number) => number;
};

export const defaultBackoff = (attempt: number) => Math.min(10_000, 500 * 2 ** attempt);

export class ReconnectingSocket {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private refreshedOnce = false;

  constructor(private readonly options: ReconnectingSocketOptions) {}

  start(): this {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000);
    }
    this.options.onStateChange?.("closed");
  }

  private connect(): void {
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    const getToken = this.options.getToken ?? getAccessToken;
    this.options.onStateChange?.(this.attempt === 0 ? "connecting" : "reconnecting");
    const socket = new Impl(this.options.url());
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "auth", token: getToken() ?? "" }));
    };
    socket.onmessage = (event: MessageEvent) => {
      let message: unknown;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (typeof message !== "object" || message === null) return;
      const record = message as Record<string, unknown>;
      if (record.kind === "synced") {
        // Authenticated and caught up: the connection is healthy again.
        this.attempt = 0;
        this.refreshedOnce = false;
        this.options.onStateChange?.("open");
      }
      this.options.onMessage(record);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      if (event.code === 4404) {
        this.stopped = true;
        this.options.onStateChange?.("closed", event.reason || "Not found.");
        return;
      }
      if (event.code === 4401) {
        if (this.refreshedOnce) {
          this.stopped = true;
          this.options.onStateChange?.("closed", "Sign in again to see live updates.");
          return;
        }
        this.refreshedOnce = true;
        void (this.options.refresh ?? refreshSession)().then((ok) => {
          if (this.stopped) return;
          if (ok) this.connect();
          else {
            this.stopped = true;
            this.options.onStateChange?.("closed", "Sign in again to see live updates.");
          }
        });
        return;
      }
      this.schedule();
    };
  }

  private schedule(): void {
    const delay = (this.options.backoff ?? defaultBackoff)(this.attempt);
    this.attempt += 1;
    this.options.onStateChange?.("reconnecting");
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }
}

/** ws:// or wss:// URL of an API path on the SPA's own origin. */
export function socketUrl(path: string): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}${path}`;
}
