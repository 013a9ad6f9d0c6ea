"""Password guessing: no header buys more guesses, and each account locks after repeated failures
(tuneforge.auth.throttle), with a backoff that grows and a successful sign-in that resets it."""

from __future__ import annotations

import asyncio
import itertools
import re

import httpx
import pytest

from tests.api.conftest import LIVE_LOGIN_LIMIT
from tuneforge.cli import uvicorn_proxy_options
from tuneforge.config import Settings

LOCKED = "Too many failed sign-ins for this account; try again in"
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


async def _login(app, email: str, password: str) -> httpx.Response:
    """A sign-in from a new client address each time, with a made-up X-Forwarded-For as well."""
    address = next(_addresses)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.post(
            "/api/auth/login",
            json={"email": email, "password": password},
            headers={"X-Forwarded-For": f"203.0.113.{address.rsplit('.', 1)[1]}", "X-Real-IP": address},
        )


async def test_the_account_locks_after_5_failures_whatever_address_they_come_from(app, register):
    account = await register()
    other = await register()
    for _ in range(5):
        response = await _login(app, account.email, "wrong password")
        assert response.status_code == 401
    locked = await _login(app, account.email, account.password)  # the right password, during the lock
    assert locked.status_code == 429
    body = locked.json()
    assert body["error"] == "TooManyRequests"
    assert body["detail"].startswith(LOCKED)
    assert "even with the right password" in body["detail"]
    assert 1 <= int(locked.headers["retry-after"]) <= 30
    # Other accounts are not affected.
    assert (await _login(app, other.email, other.password)).status_code == 200


async def test_unknown_emails_are_throttled_exactly_like_real_ones(app, register):
    account = await register()
    answers = {}
    for email in (account.email, "nobody-here@example.com"):
        statuses = [(await _login(app, email, "wrong password")) for _ in range(6)]
        assert [r.status_code for r in statuses] == [401] * 5 + [429]
        answers[email] = (statuses[0].json(), re.sub(r"\d+", "N", statuses[-1].json()["detail"]))
    assert answers[account.email] == answers["nobody-here@example.com"]


async def test_the_lock_ends_after_its_delay_grows_with_each_failure_and_success_resets_it(
    app, register, settings, monkeypatch
):
    monkeypatch.setattr(settings, "login_throttle_seconds", 0.6)
    monkeypatch.setattr(settings, "login_throttle_max_seconds", 10.0)
    account = await register()
    for _ in range(5):
        assert (await _login(app, account.email, "wrong password")).status_code == 401
    first = await _login(app, account.email, account.password)
    assert first.status_code == 429 and f"{LOCKED} 1 second." in first.json()["detail"]

    await asyncio.sleep(0.7)  # the lock is over: one more failure locks it for twice as long
    assert (await _login(app, account.email, "wrong password")).status_code == 401
    second = await _login(app, account.email, account.password)
    assert second.status_code == 429 and f"{LOCKED} 2 seconds." in second.json()["detail"]

    await asyncio.sleep(1.3)
    assert (await _login(app, account.email, account.password)).status_code == 200  # unlocked, and reset:
    for _ in range(4):
        assert (await _login(app, account.email, "wrong password")).status_code == 401
    assert (await _login(app, account.email, account.password)).status_code == 200  # 4 < 5: never locked
    for _ in range(5):
        assert (await _login(app, account.email, "wrong password")).status_code == 401
    assert (await _login(app, account.email, account.password)).status_code == 429  # counted from zero again


async def test_rotating_x_forwarded_for_does_not_escape_the_address_rate_limit(client):
    """Through the app: it never reads X-Forwarded-For itself (only uvicorn may, from trusted proxies)."""
    statuses = []
    for i in range(11):
        response = await client.post(
            "/api/auth/login",
            json={"email": f"guess{i}@example.com", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{i}", "X-Real-IP": f"203.0.113.{i}"},
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 10 + [429]


def test_rotating_x_forwarded_for_against_the_live_api_gets_no_extra_guesses(live_api_url):
    """`tuneforge api` as deployed, trusting no proxy by default: the header changes nothing."""
    statuses = []
    with httpx.Client(base_url=live_api_url, timeout=30, trust_env=False) as http:
        for i in range(LIVE_LOGIN_LIMIT + 1):
            response = http.post(
                "/api/auth/login",
                json={"email": f"live-guess{i}@example.com", "password": "wrong password"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            )
            statuses.append(response.status_code)
    assert statuses == [401] * LIVE_LOGIN_LIMIT + [429]
    assert response.json()["error"] == "TooManyRequests"


def test_uvicorn_trusts_forwarded_headers_only_from_the_configured_proxies():
    assert uvicorn_proxy_options([]) == {"proxy_headers": False}
    assert uvicorn_proxy_options(["172.31.250.0/24", "10.0.0.5"]) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["172.31.250.0/24", "10.0.0.5"],
    }
    assert Settings(trusted_proxies=" 10.0.0.5, 172.31.250.0/24 ").trusted_proxies == ["10.0.0.5", "172.31.250.0/24"]
    assert Settings().trusted_proxies == []
    for bad in ("*", "nginx", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="TUNEFORGE_TRUSTED_PROXIES"):
            Settings(trusted_proxies=bad)
