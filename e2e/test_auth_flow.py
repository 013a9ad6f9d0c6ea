"""A new user's first minutes, in Chromium, through nginx: account, Hugging Face token, sign out and in."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from stack import HF_TOKEN, HF_USER, Stack


def register(page: Page, user: dict[str, str]) -> None:
    page.goto("/register")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Name").fill(user["name"])
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Create account").click()


def sign_in(page: Page, email: str, password: str) -> None:
    expect(page.get_by_role("heading", name="Sign in to TuneForge")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_register_save_hf_token_log_out_and_back_in(page: Page, stack: Stack, new_user: dict[str, str]) -> None:
    register(page, new_user)

    # Registration signs the user in and lands on the dashboard.
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for section in ("Dashboard", "Datasets", "Models", "Training", "Team", "Settings"):
        expect(nav.get_by_role("link", name=section)).to_be_visible()

    nav.get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Hugging Face token")).to_be_visible()

    page.get_by_label("Hugging Face token").fill(HF_TOKEN)
    page.get_by_role("button", name="Save Hugging Face token").click()

    # Shown masked and verified against the (fake) Hub; the token itself never comes back.
    masked = f"Saved token ending in {HF_TOKEN[-4:]}"
    expect(page.get_by_text(masked)).to_be_visible()
    expect(page.get_by_text(f"Verified as {HF_USER}")).to_be_visible()
    expect(page.get_by_role("button", name="Validate Hugging Face token")).to_be_visible()
    expect(page.get_by_role("button", name="Delete Hugging Face token")).to_be_visible()
    expect(page.get_by_label("Hugging Face token")).to_have_value("")
    assert HF_TOKEN not in page.content()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))

    # Signed out means signed out: a protected page sends us back to sign in.
    page.goto("/settings")
    sign_in(page, new_user["email"], new_user["password"])

    # The token is still there, still masked, after a fresh sign-in.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_text(masked)).to_be_visible()
    expect(page.get_by_text(f"Verified as {HF_USER}")).to_be_visible()
    assert HF_TOKEN not in page.content()

    # Neither the token nor the password was written to any log on the way (API or nginx).
    for process in (stack.api, stack.nginx):
        log = process.log_path.read_text(errors="replace")
        assert HF_TOKEN not in log, f"the Hugging Face token is in the {process.name} log"
        assert new_user["password"] not in log, f"the password is in the {process.name} log"


def test_wrong_password_shows_a_readable_error(page: Page, stack: Stack, new_user: dict[str, str], api_client) -> None:
    # The account is created through the API: this test is about the sign-in page.
    response = api_client.post(
        "/api/auth/register",
        json={"email": new_user["email"], "password": new_user["password"], "display_name": new_user["name"]},
    )
    assert response.status_code in (200, 201), response.text

    page.goto("/login")
    sign_in(page, new_user["email"], new_user["password"] + "-wrong")

    expect(page.get_by_role("alert")).to_have_text(re.compile(r"Incorrect email or password\."))
    expect(page).to_have_url(re.compile(r"/login"))

    # And the right password still works afterwards.
    page.get_by_label("Password").fill(new_user["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_hf_token_rejected_then_replaced_validated_and_deleted(signed_in_page: Page) -> None:
    page = signed_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    token_field = page.get_by_label("Hugging Face token")

    # A token the Hub does not know is kept but marked rejected, with what to do next.
    token_field.fill("hf_notAValidTokenAtAll0000")
    page.get_by_role("button", name="Save Hugging Face token").click()
    expect(page.get_by_text("Saved token ending in 0000")).to_be_visible()
    expect(page.get_by_text("Hugging Face rejected this token.", exact=False)).to_be_visible()

    # Replacing it with a good one.
    token_field.fill(HF_TOKEN)
    page.get_by_role("button", name="Save Hugging Face token").click()
    expect(page.get_by_text(f"Saved token ending in {HF_TOKEN[-4:]}")).to_be_visible()
    expect(page.get_by_text(f"Verified as {HF_USER}")).to_be_visible()

    page.get_by_role("button", name="Validate Hugging Face token").click()
    expect(page.get_by_text("Hugging Face token verified.")).to_be_visible()

    page.get_by_role("button", name="Delete Hugging Face token").click()
    expect(page.get_by_text("Hugging Face token deleted.")).to_be_visible()
    expect(page.get_by_text("Saved token ending in")).to_have_count(0)
    expect(page.get_by_role("button", name="Validate Hugging Face token")).to_have_count(0)
