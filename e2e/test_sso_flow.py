"""Single sign-on in Chromium, through nginx: "Sign in with <provider>" on the login page, the loopback OpenID
Connect provider (tuneforge.testing.fake_oidc) approving, and the browser landing signed in.

The session's stack runs without SSO, so this module starts its own API process (same database and SPA)
with the TUNEFORGE_OIDC_* settings pointing at the loopback provider, behind its own nginx, as deployed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from stack import VENV_BIN, ManagedProcess, Stack, free_port, start_nginx, wait_http_ok

LABEL = "Acme ID"


@dataclass
class SsoSite:
    base_url: str
    provider: object  # FakeOidcProvider


@pytest.fixture(scope="module")
def sso_site(stack: Stack) -> Iterator[SsoSite]:
    from tuneforge.testing.fake_oidc import FakeOidcProvider

    provider = FakeOidcProvider(client_secret="e2e-" + uuid.uuid4().hex)
    provider.start()
    port = free_port()
    env = {
        **stack.env,
        "TUNEFORGE_OIDC_DISCOVERY_URL": provider.discovery_url,
        "TUNEFORGE_OIDC_CLIENT_ID": provider.client_id,
        "TUNEFORGE_OIDC_CLIENT_SECRET": provider.client_secret,
        "TUNEFORGE_OIDC_NAME": LABEL,
    }
    api = ManagedProcess(
        "api-sso", [str(VENV_BIN / "tuneforge"), "api", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=stack.workdir, log_path=stack.workdir / "api-sso.log",
    ).start()
    nginx = None
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/api/health", timeout=90, process=api)
        nginx_port = free_port()
        nginx = start_nginx(workdir=stack.workdir / "nginx-sso", api_address=f"127.0.0.1:{port}",
                            spa_root=Path(stack.env["TUNEFORGE_SPA_DIR"]), port=nginx_port)
        base_url = f"http://127.0.0.1:{nginx_port}"
        wait_http_ok(f"{base_url}/api/health", timeout=20, process=nginx)
        yield SsoSite(base_url=base_url, provider=provider)
        # The client secret reached the provider, and nothing else: never the API's log.
        assert provider.client_secret not in api.log_tail(100_000)
    finally:
        if nginx is not None:
            nginx.stop()
        api.stop()
        provider.stop()


@pytest.fixture
def sso_page(browser: Browser, sso_site: SsoSite) -> Iterator[Page]:
    context = browser.new_context(base_url=sso_site.base_url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def test_sign_in_with_the_provider_lands_signed_in_where_the_user_was_going(sso_page: Page, sso_site: SsoSite) -> None:
    provider = sso_site.provider
    email = f"sso-{uuid.uuid4().hex[:8]}@example.com"
    provider.user = {"sub": uuid.uuid4().hex, "email": email, "email_verified": True, "name": "Grace Hopper"}

    sso_page.goto("/training")  # a protected page: first the login page, then back here
    expect(sso_page.get_by_role("heading", name="Sign in to TuneForge")).to_be_visible()
    sso_page.get_by_role("link", name=f"Sign in with {LABEL}").click()

    expect(sso_page).to_have_url(re.compile(r"/training$"))
    expect(sso_page.get_by_role("banner")).to_contain_text("Grace Hopper")
    token = next(r for r in provider.requests if r["path"] == "/token")
    assert token["headers"]["authorization"].startswith("Basic ") and token["form"]["code_verifier"]
    assert provider.refusals == []
    # The one-time code is gone from the address bar, and no token is in the browser's history.
    assert "code=" not in sso_page.url

    # Signing out and in again finds the same account.
    sso_page.get_by_role("button", name="Log out").click()
    expect(sso_page).to_have_url(re.compile(r"/login"))
    sso_page.get_by_role("link", name=f"Sign in with {LABEL}").click()
    expect(sso_page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(sso_page.get_by_role("banner")).to_contain_text("Grace Hopper")


def test_a_sign_in_cancelled_at_the_provider_comes_back_to_the_login_page_saying_so(sso_page: Page, sso_site: SsoSite) -> None:
    sso_site.provider.deny_next = True
    sso_page.goto("/login")
    sso_page.get_by_role("link", name=f"Sign in with {LABEL}").click()

    expect(sso_page).to_have_url(re.compile(r"/login\?"))
    expect(sso_page.get_by_role("alert")).to_have_text(f"Sign-in was cancelled or refused at {LABEL}. Start again to sign in.")
    expect(sso_page.get_by_role("button", name="Sign in")).to_be_visible()
