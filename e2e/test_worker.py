"""A `tuneforge worker` joins the platform and the team sees it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from stack import ManagedProcess


def test_connected_worker_shows_on_the_dashboard(signed_in_page: Page, worker: ManagedProcess) -> None:
    page = signed_in_page
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    workers = page.locator("dt", has_text="Workers connected").locator("xpath=following-sibling::dd[1]")
    expect(workers).to_have_text("1")
