"""The app shell on a phone: the navigation folds into a menu that still reaches every section."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_phone_menu_opens_navigates_and_closes(signed_in_page: Page) -> None:
    page = signed_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    settings_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")
    expect(settings_link).to_be_hidden()

    page.get_by_role("button", name="Open menu").click()
    expect(settings_link).to_be_visible()
    settings_link.click()

    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    # Picking a section closes the menu so the page is not covered.
    expect(settings_link).to_be_hidden()
    expect(page.get_by_role("button", name="Open menu")).to_be_visible()
