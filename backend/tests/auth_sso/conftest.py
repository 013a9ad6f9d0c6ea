"""Single sign-on against a loopback OpenID Connect provider (tuneforge.testing.fake_oidc): the real client
code (discovery, token exchange, JWKS, ID token checks) talks to it over HTTP, and the tests play the
browser — follow the redirects, keep the cookies."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

LABEL = "Fake IdP"


@pytest.fixture
def provider(settings):
    from tuneforge.auth import oidc
    from tuneforge.testing.fake_oidc import FakeOidcProvider

    fake = FakeOidcProvider(redirect_uris=["http://testserver/api/auth/sso/callback"])
    fake.start()
    saved = {k: getattr(settings, k) for k in ("oidc_discovery_url", "oidc_client_id", "oidc_client_secret", "oidc_name")}
    settings.oidc_discovery_url = fake.discovery_url
    settings.oidc_client_id = fake.client_id
    settings.oidc_client_secret = SecretStr(fake.client_secret)
    settings.oidc_name = LABEL
    oidc.clear_caches()
    yield fake
    for key, value in saved.items():
        setattr(settings, key, value)
    oidc.clear_caches()
    fake.stop()


@dataclass
class Outcome:
    """Where the browser landed: signed in (the token pair) or back on the login page (the message)."""

    location: str
    tokens: dict | None = None
    error: str | None = None
    next_path: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        assert self.tokens is not None, self.error
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


def login_error(location: str) -> str | None:
    parts = urlsplit(location)
    assert parts.path == "/login", location
    return parse_qs(parts.query)["sso_error"][0]


async def browser_sign_in(client, next_path: str | None = None, *, tamper_callback=None, exchange: bool = True) -> Outcome:
    """Clicks "Sign in with ...", lets the provider approve, follows it back to the API and exchanges the code,
    as the SPA does."""
    start = await client.get("/api/auth/sso/start", params={"next": next_path} if next_path else None)
    if start.status_code != 302:
        return Outcome(location=start.headers["location"], error=login_error(start.headers["location"]))
    async with httpx.AsyncClient() as browser_at_provider:
        approved = await browser_at_provider.get(start.headers["location"])
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    assert back.netloc == "testserver" and back.path == "/api/auth/sso/callback", back
    query = back.query if tamper_callback is None else tamper_callback(back.query)
    callback = await client.get(f"{back.path}?{query}")
    assert callback.status_code == 303, callback.text
    location = callback.headers["location"]
    landing = urlsplit(location)
    if landing.path == "/login":
        return Outcome(location=location, error=login_error(location))
    assert landing.path == "/sso/callback" and not landing.query, location  # the code travels in the fragment
    fragment = parse_qs(landing.fragment)
    outcome = Outcome(location=location, next_path=fragment["next"][0])
    if exchange:
        answer = await client.post("/api/auth/sso/exchange", json={"code": fragment["code"][0]})
        assert answer.status_code == 200, answer.text
        outcome.tokens = answer.json()
    return outcome
