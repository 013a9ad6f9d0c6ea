"""Teams end to end with several browsers at once (issue 12): the owner creates a team and invites a
member and a viewer by link; the member accepts in their own browser and sees the team's dataset, and a
job the owner launches appears on their Training page live, then turns cancelled live; the viewer finds
"New job" and dataset editing disabled, with the reason on hover; the owner sets a storage limit and the
member's upload is refused with the limit, the use and who can raise it; the owner's audit log lists all
of it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from conftest import sign_in
from stack import Stack, User, launch_job, sums_rows
from test_newcomer import Journey


def register(client: httpx.Client, who: str) -> User:
    suffix = uuid.uuid4().hex[:8]
    details = {"name": f"{who} {suffix}", "email": f"{who.lower()}-{suffix}@example.com", "password": f"Correct-horse-{suffix}"}
    response = client.post(
        "/api/auth/register",
        json={"email": details["email"], "password": details["password"], "display_name": details["name"]},
    )
    assert response.status_code == 201, response.text
    tokens = response.json()
    return User(**details, access_token=tokens["access_token"], refresh_token=tokens["refresh_token"])


def open_as(browser: Browser, stack: Stack, user: User) -> Page:
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    return sign_in(context.new_page(), user.refresh_token)


def switch_team(page: Page, name: str) -> None:
    page.get_by_label("Active team").select_option(label=name)


def invite(owner_page: Page, email: str, role: str) -> str:
    """Creates an invitation on the Team page and returns the link shown (once) to the inviter."""
    owner_page.get_by_label("Email", exact=True).fill(email)
    owner_page.get_by_label("Role", exact=True).select_option(role)
    owner_page.get_by_role("button", name="Create invitation link").click()
    link = owner_page.get_by_label(f"Invitation link for {email}").first
    expect(link).to_have_value(re.compile(r"/invitations/"))
    return link.input_value()


def accept(page: Page, link: str) -> None:
    page.goto(link)
    page.get_by_role("button", name="Accept and join").click()


def test_owner_invites_member_and_viewer_who_see_the_team_live(
    browser: Browser, stack: Stack, api_client: httpx.Client, team_screenshot_folder: Path
) -> None:
    owner, member, viewer = (register(api_client, who) for who in ("Owner", "Member", "Viewer"))
    team_name = f"Lab {uuid.uuid4().hex[:6]}"
    pages: list[Page] = []
    try:
        # 1. The owner creates the team and invites two people; each link is shown once.
        owner_page = open_as(browser, stack, owner)
        pages.append(owner_page)
        owner_page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
        owner_page.get_by_label("New team name").fill(team_name)
        owner_page.get_by_role("button", name="Create team").click()
        switch_team(owner_page, team_name)
        expect(owner_page.get_by_role("heading", name=team_name)).to_be_visible()
        member_link = invite(owner_page, member.email, "member")
        viewer_link = invite(owner_page, viewer.email, "viewer")
        team_id = next(t["id"] for t in api_client.get("/api/auth/me", headers=owner.headers).json()["teams"] if t["name"] == team_name)

        upload = api_client.post(
            f"/api/teams/{team_id}/datasets",
            headers=owner.headers,
            files={"files": ("sums.jsonl", sums_rows(), "application/x-ndjson")},
            data={"name": "Shared sums"},
        )
        assert upload.status_code == 201, upload.text

        # 2. The member accepts in their own browser and sees the team's dataset.
        member_page = open_as(browser, stack, member)
        pages.append(member_page)
        accept(member_page, member_link)
        switch_team(member_page, team_name)
        member_page.get_by_role("navigation", name="Main").get_by_role("link", name="Datasets").click()
        expect(member_page.get_by_role("link", name="Shared sums")).to_be_visible()

        # 3. A job the owner launches appears on the member's Training page without a reload, and so does
        #    its cancellation.
        member_page.get_by_role("navigation", name="Main").get_by_role("link", name="Training").click()
        job_name = f"shared-run-{uuid.uuid4().hex[:6]}"
        job_id = launch_job(api_client, owner, team_id, {
            "name": job_name, "method": "sft", "adapter": "lora", "base_model": "tiny-llama",
            "dataset_version_id": upload.json()["version"]["id"], "preset": None,
            "hyperparameters": {"max_steps": 200, "logging_steps": 1}, "eval": {"enabled": False},
        })
        row = member_page.get_by_role("row").filter(has_text=job_name)
        expect(row).to_be_visible()
        cancelled = api_client.post(f"/api/jobs/{job_id}/cancel", headers=owner.headers)
        assert cancelled.status_code == 200, cancelled.text
        expect(row).to_contain_text(re.compile("cancel", re.I), timeout=30_000)

        # 4. The viewer sees what they cannot do, disabled, with the reason on hover.
        viewer_page = open_as(browser, stack, viewer)
        pages.append(viewer_page)
        accept(viewer_page, viewer_link)
        switch_team(viewer_page, team_name)
        viewer_page.get_by_role("navigation", name="Main").get_by_role("link", name="Training").click()
        new_job = viewer_page.get_by_role("link", name=re.compile("^New job"))
        expect(new_job).to_have_attribute("aria-disabled", "true")
        expect(new_job).to_have_attribute("title", "Viewers can't launch jobs — ask a team admin for the member role.")
        viewer_page.get_by_role("navigation", name="Main").get_by_role("link", name="Datasets").click()
        viewer_page.get_by_role("link", name="Shared sums").click()
        manage = viewer_page.locator("fieldset[title]").first
        expect(manage).to_have_attribute("title", re.compile("^Viewers can't edit, archive or delete datasets"))
        expect(manage.get_by_role("button").first).to_be_disabled()

        # 5. The owner caps storage at nothing; the member's upload is refused, saying why and who can help.
        owner_page.get_by_label("Storage (GB)").fill("0")
        owner_page.get_by_role("button", name="Save limits").click()
        expect(owner_page.get_by_text("Limits saved.")).to_be_visible()
        member_page.get_by_role("navigation", name="Main").get_by_role("link", name="Datasets").click()
        member_page.get_by_label("Files").set_input_files({"name": "more.jsonl", "mimeType": "application/x-ndjson", "buffer": sums_rows(8)})
        member_page.get_by_label("Dataset name").fill("One too many")
        member_page.get_by_role("button", name="Upload dataset").click()
        refusal = member_page.get_by_role("alert").filter(has_text="raise the limit")
        expect(refusal).to_contain_text(owner.email)
        expect(refusal).to_contain_text(re.compile("storage", re.I))
        expect(member_page.get_by_role("link", name="One too many")).to_have_count(0)

        # 6. The owner's audit log lists all of it, with who did it.
        owner_page.get_by_role("link", name="Audit log").click()
        log = owner_page.get_by_role("table")
        for action in ("team.created", "invitation.created", "invitation.accepted", "dataset.uploaded",
                       "job.launched", "job.cancelled", "quota.changed", "quota.refused"):
            expect(log.get_by_text(action, exact=True).first).to_be_visible()
        expect(log.get_by_role("row").filter(has_text="quota.refused")).to_contain_text(member.email)

        # 7. The shared team's pages, screenshotted and held to the phone-width and accessibility rules.
        for width, height in ((1280, 800), (390, 844)):
            owner_page.set_viewport_size({"width": width, "height": height})
            journey = Journey(owner_page, f"team-{width}", team_screenshot_folder)
            for path, step, ready in (("/team/audit", "audit-log", "quota.refused"), ("/team", "team", "Usage and quotas"),
                                      ("/dashboard", "dashboard", "Recent jobs")):
                owner_page.goto(path)
                expect(owner_page.get_by_text(ready, exact=True).first).to_be_visible()
                expect(owner_page.get_by_text(re.compile(r"^Loading"))).to_have_count(0)
                journey.check(step)
    finally:
        for page in pages:
            page.context.close()
