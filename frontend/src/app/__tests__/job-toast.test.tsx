import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startSession } from "@/lib/auth/session";
import { JOB_NOTIFICATIONS_KEY } from "@/lib/notifications";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const teamId = alice.teams[0]!.id;

class FeedSocket {
  static all: FeedSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FeedSocket.all.push(this);
  }
  send() {}
  close() {}
}

async function teamFeed(): Promise<FeedSocket> {
  const feeds = () => FeedSocket.all.filter((socket) => socket.url.endsWith(`/api/ws/teams/${teamId}`));
  await waitFor(() => expect(feeds()).toHaveLength(1)); // one shared connection, however many views listen
  return feeds()[0]!;
}

async function push(status: string, jobId = "j1") {
  const feed = await teamFeed();
  await act(async () => feed.onmessage?.({ data: JSON.stringify({ kind: "job", job_id: jobId, status }) }));
}

function openSettings() {
  FeedSocket.all = [];
  vi.stubGlobal("WebSocket", FeedSocket);
  startSession(tokenPair(1));
  installFakeApi({
    "GET /api/auth/me": () => json(alice),
    "GET /api/credentials": () => json([]),
    "GET /api/jobs/j1": () => json({ id: "j1", name: "SFT lora · tiny-llama · sums v1", status: "succeeded" }),
    "GET /api/jobs/j2": () => json({ id: "j2", name: "DPO run", status: "failed" }),
  });
  return renderApp("/settings");
}

afterEach(() => {
  Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
});

describe("when a job of the team finishes", () => {
  it("a toast says so on any page, once, linking to the job", async () => {
    const { user } = openSettings();
    expect(await screen.findByRole("heading", { name: "Settings", level: 1 })).toBeInTheDocument();
    const region = screen.getByRole("region", { name: "Notifications" });

    await push("running");
    expect(within(region).queryAllByRole("listitem")).toHaveLength(0);

    await push("succeeded");
    const toast = await within(region).findByText("“SFT lora · tiny-llama · sums v1” finished");
    const item = toast.closest("li")!;
    expect(item).toHaveAttribute("data-tone", "success");
    expect(within(item).getByRole("link", { name: "Open the job" })).toHaveAttribute("href", "/training/j1");

    // The same news twice (another view's refresh, a reconnect) is told once.
    await push("succeeded");
    await push("failed", "j2");
    expect(await within(region).findByText("“DPO run” failed")).toBeInTheDocument();
    expect(within(region).getAllByRole("listitem")).toHaveLength(2);
    expect(within(region).getByText("“DPO run” failed").closest("li")).toHaveAttribute("data-tone", "error");

    await user.click(within(toast.closest("li")!).getByRole("button", { name: "Dismiss" }));
    expect(within(region).getAllByRole("listitem")).toHaveLength(1);
  });

  it("also notifies through the browser, only when opted in, permitted and the tab is hidden", async () => {
    const shown: { title: string; options: NotificationOptions }[] = [];
    class FakeNotification {
      static permission: NotificationPermission = "granted";
      static requestPermission = vi.fn(async () => "granted" as NotificationPermission);
      onclick: (() => void) | null = null;
      constructor(title: string, options: NotificationOptions) {
        shown.push({ title, options });
      }
      close() {}
    }
    vi.stubGlobal("Notification", FakeNotification);
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });

    openSettings();
    await screen.findByRole("heading", { name: "Settings", level: 1 });
    await push("succeeded"); // not opted in: the toast only
    await screen.findByText("“SFT lora · tiny-llama · sums v1” finished");
    expect(shown).toHaveLength(0);

    window.localStorage.setItem(JOB_NOTIFICATIONS_KEY, "on");
    await push("failed", "j2");
    await screen.findByText("“DPO run” failed");
    expect(shown).toEqual([
      {
        title: "TuneForge: “DPO run” failed",
        options: { body: "The job page says what went wrong and what to try.", tag: "tuneforge-job-j2:failed" },
      },
    ]);
    expect(FakeNotification.requestPermission).not.toHaveBeenCalled();
  });
});
