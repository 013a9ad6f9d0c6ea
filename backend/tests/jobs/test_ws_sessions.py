"""Open WebSockets end with the session that opened them (docs/security.md, "Live connections end with
their session").

Against a live API: a password change, a logout or a refresh-token reuse closes the user's open sockets
with 4401 within about a second (NOTIFY session_revoked, heard by the fan-out); an expiring access token
closes its socket at expiry (a timer); losing the team closes it with 4404 (notification, or the periodic
re-check in the database).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator

import asyncpg
import httpx
import jwt
import pytest
import websockets

from tuneforge.devdb import free_port

from .conftest import CHAT_ROWS, Api, start_api

SESSION_ENDED = "Your session ended; sign in again."
PASSWORD = "correct horse battery"


def _register(base_url: str, email: str | None = None) -> dict:
    response = httpx.post(
        base_url + "/api/auth/register",
        json={"email": email or f"ws-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD, "display_name": "Wes"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _watch_until_closed(
    url: str, token: str, action: Callable[[], None] | None = None, timeout: float = 30
) -> tuple[int | None, str, float]:
    """Opens the socket, waits for `synced`, runs `action` (blocking HTTP, in a thread), then reads until the
    server closes it. Returns (close code, reason, seconds from the end of `action` to the close)."""
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            if message["kind"] == "synced":
                break
        if action is not None:
            await asyncio.to_thread(action)
        acted = time.monotonic()
        try:
            while (left := acted + timeout - time.monotonic()) > 0:
                await asyncio.wait_for(ws.recv(), timeout=left)  # pings and events: keep reading
            return None, "still open", time.monotonic() - acted
        except websockets.ConnectionClosed as closed:
            return (closed.rcvd.code if closed.rcvd else None), (closed.rcvd.reason if closed.rcvd else ""), time.monotonic() - acted
        except TimeoutError:
            return None, "still open", time.monotonic() - acted


def _ws(base_url: str, path: str) -> str:
    return base_url.replace("http", "ws", 1) + path


def _auth(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_a_password_change_closes_the_open_team_feed_at_once(live_api):
    base = live_api["url"]
    tokens = _register(base)
    team = tokens["user"]["teams"][0]["id"]
    changed: dict = {}

    def change_password() -> None:
        response = httpx.post(
            base + "/api/auth/password", json={"current_password": PASSWORD, "new_password": "a brand new passphrase 42"},
            headers=_auth(tokens), timeout=30,
        )
        assert response.status_code == 200, response.text
        changed.update(response.json())

    code, reason, after = asyncio.run(_watch_until_closed(_ws(base, f"/api/ws/teams/{team}"), tokens["access_token"], change_password))
    assert (code, reason) == (4401, SESSION_ENDED)
    assert after < 2.0

    # The new session's token opens the feed again, and it stays open.
    code, reason, _ = asyncio.run(_watch_until_closed(_ws(base, f"/api/ws/teams/{team}"), changed["access_token"], timeout=3))
    assert (code, reason) == (None, "still open")


def test_logout_closes_the_open_job_socket_at_once(live_api):
    base = live_api["url"]
    tokens = _register(base)
    api = Api(base)
    api.token, api.team_id = tokens["access_token"], tokens["user"]["teams"][0]["id"]
    api.http.headers["Authorization"] = f"Bearer {api.token}"
    version = api.upload_jsonl("sums-ws-logout", CHAT_ROWS[:8])
    job = api.create_job(version, hyperparameters={"precision": "bf16"})  # stays queued: no GPU worker

    def logout() -> None:
        response = httpx.post(base + "/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}, timeout=30)
        assert response.status_code == 204, response.text

    code, reason, after = asyncio.run(_watch_until_closed(_ws(base, f"/api/ws/jobs/{job['id']}"), tokens["access_token"], logout))
    assert (code, reason) == (4401, SESSION_ENDED)
    assert after < 2.0
    # Over HTTP the same token is refused too.
    assert httpx.get(base + "/api/auth/me", headers=_auth(tokens), timeout=30).status_code == 401


def test_an_api_token_opens_the_team_feed_and_revoking_it_closes_the_socket(live_api):
    base = live_api["url"]
    tokens = _register(base)
    team = tokens["user"]["teams"][0]["id"]
    created = httpx.post(base + "/api/tokens", json={"name": "feed", "scope": "read"}, headers=_auth(tokens), timeout=30)
    assert created.status_code == 201, created.text
    api_token = created.json()

    def revoke() -> None:
        response = httpx.delete(f"{base}/api/tokens/{api_token['id']}", headers=_auth(tokens), timeout=30)
        assert response.status_code == 204, response.text

    code, reason, after = asyncio.run(_watch_until_closed(_ws(base, f"/api/ws/teams/{team}"), api_token["token"], revoke))
    assert (code, reason) == (4401, SESSION_ENDED)
    assert after < 2.0
    refused = httpx.get(base + "/api/auth/me", headers={"Authorization": f"Bearer {api_token['token']}"}, timeout=30)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_refresh_token_reuse_closes_the_sessions_sockets(live_api):
    base = live_api["url"]
    tokens = _register(base)
    team = tokens["user"]["teams"][0]["id"]
    assert httpx.post(base + "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=30).status_code == 200

    def replay_the_old_refresh_token() -> None:
        response = httpx.post(base + "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=30)
        assert response.status_code == 401, response.text

    code, reason, after = asyncio.run(
        _watch_until_closed(_ws(base, f"/api/ws/teams/{team}"), tokens["access_token"], replay_the_old_refresh_token)
    )
    assert (code, reason) == (4401, SESSION_ENDED)
    assert after < 2.0


def test_a_removed_member_is_told_at_once_when_the_removal_notifies(live_api, live_db_url):
    """Whatever removes a member calls auth.revocation.notify_membership_ended in its transaction."""
    base = live_api["url"]
    owner, member = _register(base), _register(base)
    team = owner["user"]["teams"][0]["id"]
    member_id = member["user"]["id"]
    dsn = live_db_url.replace("postgresql+asyncpg://", "postgresql://")

    async def scenario() -> tuple[int | None, str, float]:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(
                "INSERT INTO membership (id, team_id, user_id, role) VALUES ($1, $2, $3, 'member')",
                uuid.uuid4(), uuid.UUID(team), uuid.UUID(member_id),
            )

            def remove() -> None:
                async def go() -> None:
                    c = await asyncpg.connect(dsn)
                    try:
                        async with c.transaction():
                            await c.execute("DELETE FROM membership WHERE team_id = $1 AND user_id = $2", uuid.UUID(team), uuid.UUID(member_id))
                            await c.execute(
                                "SELECT pg_notify('session_revoked', $1)", json.dumps({"user": member_id, "team": team})
                            )
                    finally:
                        await c.close()

                asyncio.run(go())

            return await _watch_until_closed(_ws(base, f"/api/ws/teams/{team}"), member["access_token"], remove)
        finally:
            await conn.close()

    code, reason, after = asyncio.run(scenario())
    assert code == 4404 and "not a member" in reason
    assert after < 2.0


# -- an API whose access tokens live a few seconds, and whose sockets re-check every second ------------


@pytest.fixture(scope="module")
def short_lived_api(live_env, log_dir) -> Iterator[str]:
    port = free_port()
    env = {**live_env, "TUNEFORGE_ACCESS_TOKEN_MINUTES": "0.1", "TUNEFORGE_WS_RECHECK_SECONDS": "1"}
    process = start_api(env, port, log_dir)
    yield f"http://127.0.0.1:{port}"
    process.stop()


def test_a_socket_closes_when_its_access_token_expires(short_lived_api):
    tokens = _register(short_lived_api)
    assert tokens["expires_in"] == 6
    expires_at = jwt.decode(tokens["access_token"], options={"verify_signature": False})["exp"]
    team = tokens["user"]["teams"][0]["id"]
    code, reason, _ = asyncio.run(_watch_until_closed(_ws(short_lived_api, f"/api/ws/teams/{team}"), tokens["access_token"]))
    closed_at = time.time()
    assert (code, reason) == (4401, SESSION_ENDED)
    assert expires_at - 0.5 <= closed_at <= expires_at + 1.5


def test_a_member_removed_without_a_notification_is_caught_by_the_recheck(short_lived_api, live_db_url):
    owner, member = _register(short_lived_api), _register(short_lived_api)
    team = owner["user"]["teams"][0]["id"]
    member_id = member["user"]["id"]
    dsn = live_db_url.replace("postgresql+asyncpg://", "postgresql://")

    async def sql(query: str, *args) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(query, *args)
        finally:
            await conn.close()

    asyncio.run(sql("INSERT INTO membership (id, team_id, user_id, role) VALUES ($1, $2, $3, 'viewer')",
                    uuid.uuid4(), uuid.UUID(team), uuid.UUID(member_id)))

    def remove() -> None:
        asyncio.run(sql("DELETE FROM membership WHERE team_id = $1 AND user_id = $2", uuid.UUID(team), uuid.UUID(member_id)))

    code, reason, after = asyncio.run(_watch_until_closed(_ws(short_lived_api, f"/api/ws/teams/{team}"), member["access_token"], remove))
    assert code == 4404 and "not a member" in reason
    assert after < 2.5  # the next re-check (every second), well before the token's expiry
