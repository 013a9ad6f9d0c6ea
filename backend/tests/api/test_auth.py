from __future__ import annotations

import base64
import json
import time

import jwt
import pytest


async def test_register_returns_tokens_and_creates_personal_team(client, register):
    account = await register(email="  Ada.Lovelace@Example.COM ", name="Ada")
    user = account.tokens["user"]
    assert user["email"] == "ada.lovelace@example.com"
    assert [t["role"] for t in user["teams"]] == ["owner"]
    assert user["teams"][0]["personal"] is True
    me = await client.get("/api/auth/me", headers=account.headers)
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]
    assert "password" not in me.text and "hash" not in me.text


async def test_register_duplicate_email_is_a_conflict_even_with_other_case(client, register):
    await register(email="bob@example.com")
    response = await client.post(
        "/api/auth/register", json={"email": "BOB@example.com ", "password": "another password", "display_name": "B"}
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": "Conflict",
        "detail": "An account with this email already exists. Sign in instead, or use another email.",
    }


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10 characters"),
        ("ninechars", "at least 10 characters"),
        ("é" * 40, "too long"),  # 40 characters, 80 bytes: bcrypt reads 72
        ("x" * 73, "too long"),
        ("password", 'cannot be the word "password"'),
        ("Password123!", 'cannot be the word "password"'),
        ("pat.smith@example.com", "cannot be your email address"),
        ("Pat.Smith", "cannot be your email address"),
        ("qwertyuiop", "too easy to guess. This is a top-100 common password."),
        ("iloveyou123", "too easy to guess. This is similar to a commonly used password."),
        ("aaaaaaaaaaaa", "Avoid repeated words and characters."),
    ],
)
async def test_register_refuses_bad_passwords_with_a_clear_message(client, password, message):
    response = await client.post("/api/auth/register", json={"email": "Pat.Smith@example.com", "password": password})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ValidationError"
    assert message in body["detail"]
    assert body["fields"][0]["field"] == "password"


async def test_login_with_overlong_password_is_refused_not_a_500(client, register):
    account = await register()
    response = await client.post("/api/auth/login", json={"email": account.email, "password": "y" * 200})
    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password."


async def test_login_wrong_password_and_unknown_user_look_the_same(client, register):
    account = await register()
    wrong = await client.post("/api/auth/login", json={"email": account.email, "password": "wrong password"})
    unknown = await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "Unauthorized", "detail": "Incorrect email or password."}


async def test_login_normalises_email(client, register):
    account = await register(email="carol@example.com")
    response = await client.post("/api/auth/login", json={"email": " CAROL@example.com", "password": account.password})
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "carol@example.com"


async def test_me_requires_a_token(client):
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
    assert "Sign in" in response.json()["detail"]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_tampered_expired_and_alg_none_tokens_are_refused(client, register, settings):
    account = await register()
    token = account.tokens["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))

    tampered_claims = dict(claims, sub="00000000-0000-0000-0000-000000000000")
    tampered = f"{header}.{_b64(tampered_claims)}.{signature}"
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    expired = jwt.encode(dict(claims, exp=int(time.time()) - 10, iat=int(time.time()) - 100), settings.jwt_secret)
    other_key = jwt.encode(claims, "some-other-secret-" + "y" * 40)

    for bad in (tampered, alg_none, expired, other_key, "not-a-jwt"):
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.json()["detail"] == "Your session has expired. Sign in again."


async def test_refresh_rotates_and_reuse_revokes_the_family(client, register):
    account = await register()
    first = account.tokens["refresh_token"]
    rotated = await client.post("/api/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {rotated.json()['access_token']}"})).status_code == 200

    # The old token comes back (stolen copy): refused, and the whole session ends.
    reused = await client.post("/api/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401
    assert "already refreshed" in reused.json()["detail"]
    assert (await client.post("/api/auth/refresh", json={"refresh_token": second})).status_code == 401
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {rotated.json()['access_token']}"})
    assert me.status_code == 401


async def test_refresh_tokens_are_stored_hashed(client, register, db):
    from sqlalchemy import text

    account = await register()
    stored = (await db.execute(text("SELECT token_hash FROM refresh_token"))).scalars().all()
    assert stored and account.tokens["refresh_token"] not in stored
    assert all(len(h) == 64 for h in stored)


async def test_logout_ends_the_session(client, register):
    account = await register()
    response = await client.post("/api/auth/logout", json={"refresh_token": account.tokens["refresh_token"]})
    assert response.status_code == 204
    assert (await client.get("/api/auth/me", headers=account.headers)).status_code == 401
    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": account.tokens["refresh_token"]})
    assert refreshed.status_code == 401


async def test_change_password_ends_other_sessions(client, register):
    account = await register(password="first password")
    other = await client.post("/api/auth/login", json={"email": account.email, "password": "first password"})
    other_tokens = other.json()

    wrong = await client.post(
        "/api/auth/password",
        json={"current_password": "not it at all", "new_password": "second password"},
        headers=account.headers,
    )
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "The current password is not correct."

    changed = await client.post(
        "/api/auth/password",
        json={"current_password": "first password", "new_password": "second password"},
        headers=account.headers,
    )
    assert changed.status_code == 200
    new_headers = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=new_headers)).status_code == 200
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {other_tokens['access_token']}"})).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refresh_token": other_tokens["refresh_token"]})).status_code == 401
    old_login = await client.post("/api/auth/login", json={"email": account.email, "password": "first password"})
    assert old_login.status_code == 401
    new_login = await client.post("/api/auth/login", json={"email": account.email, "password": "second password"})
    assert new_login.status_code == 200


async def test_update_profile(client, register):
    account = await register(email="dan@example.com")
    await register(email="taken@example.com")
    response = await client.patch("/api/auth/me", json={"display_name": "Daniel"}, headers=account.headers)
    assert response.status_code == 200 and response.json()["display_name"] == "Daniel"
    clash = await client.patch(
        "/api/auth/me", json={"email": "TAKEN@example.com", "current_password": account.password}, headers=account.headers
    )
    assert clash.status_code == 409
    moved = await client.patch(
        "/api/auth/me", json={"email": "Daniel@Example.com", "current_password": account.password}, headers=account.headers
    )
    assert moved.status_code == 200 and moved.json()["email"] == "daniel@example.com"
    same = await client.patch("/api/auth/me", json={"email": "daniel@example.com"}, headers=account.headers)
    assert same.status_code == 200, "an unchanged email needs no password"


async def test_a_stolen_access_token_cannot_change_the_email(client, register):
    account = await register(email="owner@example.com")
    stolen = account.headers
    missing = await client.patch("/api/auth/me", json={"email": "thief@example.com"}, headers=stolen)
    assert missing.status_code == 400
    assert missing.json() == {"error": "BadRequest", "detail": "Enter your current password to change your email."}
    wrong = await client.patch(
        "/api/auth/me", json={"email": "thief@example.com", "current_password": "a good guess maybe"}, headers=stolen
    )
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "The current password is not correct."
    # The owner still signs in with their own email and password.
    me = await client.get("/api/auth/me", headers=stolen)
    assert me.json()["email"] == "owner@example.com"
    login = await client.post("/api/auth/login", json={"email": "owner@example.com", "password": account.password})
    assert login.status_code == 200


async def test_a_new_password_must_be_strong_too(client, register):
    account = await register(email="quinn.baker@example.com", password="first password")
    for new, message in (
        ("quinn.baker", "cannot be your email address"),
        ("qwertyuiop", "too easy to guess"),
        ("short", "at least 10 characters"),
    ):
        response = await client.post(
            "/api/auth/password", json={"current_password": "first password", "new_password": new}, headers=account.headers
        )
        assert response.status_code in (400, 422), new
        assert message in response.json()["detail"], new
    login = await client.post("/api/auth/login", json={"email": account.email, "password": "first password"})
    assert login.status_code == 200, "a refused change leaves the old password in place"


async def test_answers_carrying_tokens_are_never_cached(client, register, fake_hub):
    account = await register()
    login = await client.post("/api/auth/login", json={"email": account.email, "password": account.password})
    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    changed = await client.post(
        "/api/auth/password",
        json={"current_password": account.password, "new_password": "a completely new passphrase"},
        headers=headers,
    )
    headers = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    saved = await client.put("/api/credentials/huggingface", json={"token": "hf_validtoken1234567890"}, headers=headers)
    listed = await client.get("/api/credentials", headers=headers)
    registered = await client.post(
        "/api/auth/register", json={"email": "fresh@example.com", "password": "correct-horse-battery-staple"}
    )
    for response in (login, refreshed, changed, saved, listed, registered, await client.get("/api/auth/me", headers=headers)):
        assert response.status_code in (200, 201), response.text
        assert response.headers["cache-control"] == "no-store", response.request.url
    assert "no-store" not in (await client.get("/api/health")).headers.get("cache-control", "")


async def test_login_is_rate_limited_with_the_common_error_shape(client, register):
    statuses = []
    for i in range(11):
        # A different email each time: one account locks after 5 failures (tests/api/test_login_throttle.py).
        response = await client.post("/api/auth/login", json={"email": f"guess{i}@example.com", "password": "wrong password"})
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    body = response.json()
    assert body["error"] == "TooManyRequests"
    assert "try again" in body["detail"]


async def test_register_is_rate_limited(client):
    statuses = []
    for i in range(6):
        response = await client.post(
            "/api/auth/register", json={"email": f"r{i}@example.com", "password": "long enough pw"}
        )
        statuses.append(response.status_code)
    assert statuses == [201] * 5 + [429]


async def test_thirty_refreshes_in_a_minute_in_one_session_are_fine(client, register):
    # Reloads and tabs refresh the session; the limit counts per session, not per address, and is generous.
    account = await register()
    token = account.tokens["refresh_token"]
    for _ in range(30):
        response = await client.post("/api/auth/refresh", json={"refresh_token": token})
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    # Another session from the same address is not slowed by this one.
    other = await client.post("/api/auth/login", json={"email": account.email, "password": account.password})
    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": other.json()["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


async def test_a_runaway_session_is_refused_per_session_and_keeps_its_token(client, register, settings, monkeypatch):
    monkeypatch.setattr(settings, "rate_limit_refresh_per_session", 3)
    account = await register()
    token = account.tokens["refresh_token"]
    for _ in range(3):
        token = (await client.post("/api/auth/refresh", json={"refresh_token": token})).json()["refresh_token"]
    refused = await client.post("/api/auth/refresh", json={"refresh_token": token})
    assert refused.status_code == 429
    assert refused.json()["error"] == "TooManyRequests"
    assert "too often" in refused.json()["detail"]
    # A fresh session is not affected, and the refused token was not spent (no reuse alarm later).
    other = await register()
    assert (await client.post("/api/auth/refresh", json={"refresh_token": other.tokens["refresh_token"]})).status_code == 200
    monkeypatch.setattr(settings, "rate_limit_refresh_per_session", 60)
    assert (await client.post("/api/auth/refresh", json={"refresh_token": token})).status_code == 200
