import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";

const info = {
  version: "0.1.0",
  methods: [{ name: "sft" }, { name: "dpo" }],
  adapters: [{ name: "full" }, { name: "lora" }, { name: "qlora" }],
  providers: [{ name: "hf" }],
  executors: [{ name: "local" }, { name: "modal" }],
  workers: [],
};

function signedIn() {
  startSession(tokenPair(1));
  return installFakeApi({
    "GET /api/auth/me": () => json(alice),
    "GET /api/info": () => json(info),
    "GET /api/credentials": () => json([]),
  });
}

describe("app shell", () => {
  it("has the main navigation and the user's name with a log out button", async () => {
    signedIn();
    renderApp("/dashboard");

    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getAllByRole("link").map((link) => link.textContent)).toEqual([
      "Dashboard",
      "Datasets",
      "Models",
      "Playground",
      "Training",
      "Team",
      "Settings",
    ]);
    expect(within(nav).getByRole("link", { name: "Dashboard" })).toHaveAttribute("aria-current", "page");
    const header = screen.getByRole("banner");
    expect(await within(header).findByText("Alice Martin")).toBeInTheDocument();
    expect(within(header).getByRole("button", { name: "Log out" })).toBeInTheDocument();
    expect(await screen.findByText("full, lora, qlora")).toBeInTheDocument();
  });

  it("opens and closes the navigation on small screens", async () => {
    signedIn();
    const { user } = renderApp("/dashboard");
    const toggle = screen.getByRole("button", { name: "Open menu" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");

    await user.click(toggle);
    expect(screen.getByRole("button", { name: "Close menu" })).toHaveAttribute("aria-expanded", "true");

    // Choosing a section closes the menu again.
    await user.click(screen.getByRole("link", { name: "Datasets" }));
    expect(await screen.findByRole("heading", { name: "Datasets", level: 1 })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Open menu" })).toHaveAttribute("aria-expanded", "false");
  });

  it.each([
    ["/training", "Training", /method \(SFT, continued pre-training, DPO/],
    ["/team", "Team", /give each a role/],
  ])("%s explains what will be there", async (path, heading, text) => {
    signedIn();
    renderApp(path);
    expect(screen.getByRole("heading", { name: heading, level: 1 })).toBeInTheDocument();
    expect(screen.getByText(text)).toBeInTheDocument();
  });

  it("lists the user's teams with their role", async () => {
    signedIn();
    renderApp("/team");
    expect(await screen.findByText("Owner")).toBeInTheDocument();
  });

  it("switches the active team from the navigation: pages then show that team's data", async () => {
    const lab = { id: "9c3d0000-0000-4000-8000-000000000001", name: "Lab", slug: "lab", role: "viewer" as const, personal: false };
    const me = { ...alice, teams: [...alice.teams, lab] };
    startSession(tokenPair(1, me));
    const api = installFakeApi({
      "GET /api/auth/me": () => json(me),
      [`GET /api/teams/${alice.teams[0].id}/datasets`]: () => json([]),
      [`GET /api/teams/${lab.id}/datasets`]: () => json([]),
    });
    const { user } = renderApp("/datasets");
    const switcher = await screen.findByLabelText("Active team");
    expect(switcher).toHaveValue(alice.teams[0].id);
    await waitFor(() => expect(api.callsTo("GET", `/api/teams/${alice.teams[0].id}/datasets`).length).toBeGreaterThan(0));

    await user.selectOptions(switcher, lab.id);
    await waitFor(() => expect(api.callsTo("GET", `/api/teams/${lab.id}/datasets`).length).toBeGreaterThan(0));
    expect(window.localStorage.getItem("tuneforge.activeTeam")).toBe(lab.id);
  });
});
