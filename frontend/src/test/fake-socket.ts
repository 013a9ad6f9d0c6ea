import { vi } from "vitest";

/** A stand-in for the browser's WebSocket: tests push server messages and close it. */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  readonly url: string;
  sent: unknown[] = [];
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
    queueMicrotask(() => this.onopen?.());
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  /** The server sends one JSON message. */
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  /** The server (or the network) drops the connection. */
  drop(code = 1006, reason = "") {
    this.closed = true;
    this.onclose?.({ code, reason });
  }
  static latest(): FakeWebSocket {
    const socket = FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
    if (!socket) throw new Error("no WebSocket was opened");
    return socket;
  }
}

export function installFakeWebSocket() {
  FakeWebSocket.instances = [];
  vi.stubGlobal("WebSocket", FakeWebSocket);
  return FakeWebSocket;
}

export function event(seq: number, type: string, data: Record<string, unknown>, attempt = 1) {
  return { kind: "event", seq, type, attempt, data: { type, ...data }, created_at: "2026-11-22T01:00:00Z" };
}
