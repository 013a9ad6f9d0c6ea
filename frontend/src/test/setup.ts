import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, beforeEach, vi } from "vitest";
import { clearToasts } from "@/components/ui/Toaster";
import { resetRefreshForTests } from "@/lib/auth/refresh";
import { resetSessionForTests } from "@/lib/auth/session";

// findBy* waits up to 5 s (default 1 s): on a loaded 2-core machine lazy chunks arrive late.
configure({ asyncUtilTimeout: 5000 });

// jsdom's WebSocket would try to connect; a test that wants sockets installs its own fake.
class InertWebSocket {
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {}
  send() {}
  close() {}
}

beforeEach(() => {
  vi.stubGlobal("WebSocket", InertWebSocket);
  clearToasts();
  window.localStorage.clear();
  resetSessionForTests();
  resetRefreshForTests();
});

afterEach(() => {
  cleanup();
});
