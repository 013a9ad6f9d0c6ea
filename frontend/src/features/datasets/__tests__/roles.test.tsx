import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { startSession } from "@/lib/auth/session";
import type { Role } from "@/lib/api/types";
import { alice, installFakeApi, json, tokenPair } from "@/test/fake-api";
import { renderApp } from "@/test/render";
import { aliceAs, roleKnown, viewerCant } from "@/test/roles";

// Uploading and importing data need the member role (docs/permissions.md): a viewer sees both forms
// where a member would, disabled, with the reason.

const teamId = alice.teams[0]!.id;

function openAs(role: Role) {
  startSession(tokenPair(1, aliceAs(role)));
  installFakeApi({
    "GET /api/auth/me": () => json(aliceAs(role)),
    [`GET /api/teams/${teamId}/datasets`]: () => json([]),
    "GET /api/dataset-formats": () => json([]),
  });
  return renderApp("/datasets");
}

describe("the datasets page by role", () => {
  it("shows a viewer the upload and import forms disabled, saying why", async () => {
    openAs("viewer");
    const upload = await screen.findByRole("group", { name: viewerCant("upload data") });
    expect(upload).toHaveAttribute("title", viewerCant("upload data"));
    expect(within(upload).getByRole("button", { name: "Upload dataset" })).toBeDisabled();
    const hub = screen.getByRole("group", { name: viewerCant("import datasets") });
    expect(within(hub).getByRole("button", { name: "Import" })).toBeDisabled();
  });

  it("lets a member upload and import", async () => {
    openAs("member");
    await roleKnown();
    expect(await screen.findByRole("button", { name: "Upload dataset" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Import" })).toBeEnabled();
    expect(screen.queryByRole("group", { name: /Viewers can't/ })).not.toBeInTheDocument();
  });
});
