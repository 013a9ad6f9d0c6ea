"""Personal API tokens (`tuneforge.api_tokens`): shown once, stored as a hash, read/write scopes,
revocation and expiry with plain messages, and no managing of tokens, password or email with one."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.datasets.helpers import chat, jsonl

TOKENS = "/api/tokens"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_token(client, account, *, name="CI", scope="read", days=None) -> dict:
    body = {"name": name, "scope": scope}
    if days is not None:
        body["expires_in_days"] = days
    response = await client.post(TOKENS, json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def upload(client, account_team: str, headers: dict[str, str]):
    body = jsonl([chat("hello", "hi there"), chat("apple", "fruit")])
    return await client.post(
        f"/api/teams/{account_team}/datasets",
        files=[("files", ("chat.jsonl", body, "application/jsonl"))],
        data={"name": "Token upload"},
        headers=headers,
    )


async def test_create_shows_the_token_once_and_lists_never_do(client, register):
    me = await register()
    response = await client.post(TOKENS, json={"name": "  laptop script ", "scope": "write"}, headers=me.headers)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    token = created["token"]
    assert token.startswith("tfp_") and len(token) == 44
    assert created["name"] == "laptop script" and created["scope"] == "write"
    assert created["last_four"] == token[-4:]
    assert created["last_used_at"] is None and created["revoked_at"] is None
    lifetime = datetime.fromisoformat(created["expires_at"]) - datetime.fromisoformat(created["created_at"])
    assert lifetime == timedelta(days=90)  # the default

    listed = await client.get(TOKENS, headers=me.headers)
    assert listed.status_code == 200
    assert token not in listed.text and token[4:] not in listed.text
    [row] = listed.json()
    assert "token" not in row
    assert (row["id"], row["name"], row["last_four"]) == (created["id"], "laptop script", token[-4:])


async def test_expiry_must_be_one_to_365_days(client, register):
    me = await register()
    for days in (0, 366):
        response = await client.post(TOKENS, json={"name": "x", "expires_in_days": days}, headers=me.headers)
        assert response.status_code == 422, days
    one = await make_token(client, me, days=365)
    assert datetime.fromisoformat(one["expires_at"]) > datetime.now(UTC) + timedelta(days=364)
    blank = await client.post(TOKENS, json={"name": "   "}, headers=me.headers)
    assert blank.status_code == 422


async def test_the_stored_row_holds_only_the_hash(client, register, db):
    me = await register()
    created = await make_token(client, me, scope="write")
    token = created["token"]
    row = (await db.execute(text("SELECT * FROM api_token WHERE id = :id"), {"id": created["id"]})).mappings().one()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    for column, value in row.items():
        assert token not in str(value) and token[4:] not in str(value), column
    assert row["last_four"] == token[-4:]


async def test_a_read_token_reads_the_teams_data_but_cannot_write(client, register):
    me = await register()
    token = (await make_token(client, me, scope="read"))["token"]
    assert (await upload(client, me.team_id, me.headers)).status_code == 201

    me_answer = await client.get("/api/auth/me", headers=bearer(token))
    assert me_answer.status_code == 200 and me_answer.json()["email"] == me.email
    datasets = await client.get(f"/api/teams/{me.team_id}/datasets", headers=bearer(token))
    assert datasets.status_code == 200, datasets.text
    assert "Token upload" in datasets.text

    refused = await upload(client, me.team_id, bearer(token))
    assert refused.status_code == 403
    assert refused.json() == {"error": "Forbidden", "detail": "This API token is read-only; create a write token for this."}
    renamed = await client.patch("/api/auth/me", json={"display_name": "Mallory"}, headers=bearer(token))
    assert renamed.status_code == 403


async def test_a_write_token_uploads_and_keeps_the_users_roles(client, register):
    me = await register()
    other = await register()
    token = (await make_token(client, me, scope="write"))["token"]
    uploaded = await upload(client, me.team_id, bearer(token))
    assert uploaded.status_code == 201, uploaded.text
    # Still only the user's teams: another team answers 404 as for a sign-in.
    elsewhere = await upload(client, other.team_id, bearer(token))
    assert elsewhere.status_code == 404
    renamed = await client.patch("/api/auth/me", json={"display_name": "Build bot"}, headers=bearer(token))
    assert renamed.status_code == 200 and renamed.json()["display_name"] == "Build bot"


async def test_revoked_and_expired_tokens_answer_401_with_what_to_do(client, register, db):
    me = await register()
    revoked = await make_token(client, me, name="old")
    assert (await client.get("/api/auth/me", headers=bearer(revoked["token"]))).status_code == 200
    gone = await client.delete(f"{TOKENS}/{revoked['id']}", headers=me.headers)
    assert gone.status_code == 204
    answer = await client.get("/api/auth/me", headers=bearer(revoked["token"]))
    assert answer.status_code == 401
    assert answer.json() == {"error": "Unauthorized", "detail": "This API token was revoked: create a new one in Settings."}
    assert (await client.delete(f"{TOKENS}/{revoked['id']}", headers=me.headers)).status_code == 204  # again: no change
    [listed] = (await client.get(TOKENS, headers=me.headers)).json()
    assert listed["revoked_at"] is not None

    expired = await make_token(client, me, name="short", days=1)
    await db.execute(
        text("UPDATE api_token SET expires_at = :at WHERE id = :id"),
        {"at": datetime.now(UTC) - timedelta(seconds=1), "id": expired["id"]},
    )
    answer = await client.get(f"/api/teams/{me.team_id}/datasets", headers=bearer(expired["token"]))
    assert answer.status_code == 401
    assert answer.json()["detail"] == "This API token expired: create a new one in Settings."

    unknown = await client.get("/api/auth/me", headers=bearer("tfp_" + "x" * 40))
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == "This API token is not valid: create a new one in Settings."


async def test_another_users_token_is_not_found(client, register):
    me = await register()
    other = await register()
    theirs = await make_token(client, other)
    response = await client.delete(f"{TOKENS}/{theirs['id']}", headers=me.headers)
    assert response.status_code == 404
    assert (await client.get("/api/auth/me", headers=bearer(theirs["token"]))).status_code == 200
    assert (await client.get(TOKENS, headers=me.headers)).json() == []


async def test_a_token_cannot_manage_tokens_nor_the_password_or_email(client, register):
    me = await register()
    created = await make_token(client, me, scope="write")
    headers = bearer(created["token"])
    message = "sign in with your password to manage tokens"
    answers = [
        await client.post(TOKENS, json={"name": "child", "scope": "write"}, headers=headers),
        await client.get(TOKENS, headers=headers),
        await client.delete(f"{TOKENS}/{created['id']}", headers=headers),
        await client.post(
            "/api/auth/password", json={"current_password": me.password, "new_password": "a brand new passphrase 42"},
            headers=headers,
        ),
        await client.patch(
            "/api/auth/me", json={"email": "thief@example.com", "current_password": me.password}, headers=headers
        ),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.request.url
        assert message in answer.json()["detail"]
    listed = (await client.get(TOKENS, headers=me.headers)).json()
    assert [t["id"] for t in listed] == [created["id"]] and listed[0]["revoked_at"] is None
    assert (await client.get("/api/auth/me", headers=me.headers)).json()["email"] == me.email


async def test_last_used_is_recorded_at_most_once_a_minute(client, register, db):
    me = await register()
    created = await make_token(client, me)
    assert (await client.get("/api/auth/me", headers=bearer(created["token"]))).status_code == 200
    [first] = (await client.get(TOKENS, headers=me.headers)).json()
    assert first["last_used_at"] is not None
    used = datetime.fromisoformat(first["last_used_at"])
    assert abs(datetime.now(UTC) - used) < timedelta(minutes=1)

    assert (await client.get("/api/auth/me", headers=bearer(created["token"]))).status_code == 200
    [second] = (await client.get(TOKENS, headers=me.headers)).json()
    assert second["last_used_at"] == first["last_used_at"]  # within the minute: not written again

    earlier = datetime.now(UTC) - timedelta(minutes=5)
    await db.execute(text("UPDATE api_token SET last_used_at = :at WHERE id = :id"), {"at": earlier, "id": created["id"]})
    assert (await client.get("/api/auth/me", headers=bearer(created["token"]))).status_code == 200
    [third] = (await client.get(TOKENS, headers=me.headers)).json()
    assert datetime.fromisoformat(third["last_used_at"]) > earlier + timedelta(minutes=4)


async def test_the_openapi_schema_names_api_tokens(client):
    schema = (await client.get("/api/openapi.json")).json()
    assert {"/api/tokens", "/api/tokens/{token_id}"} <= set(schema["paths"])
    assert json.dumps(schema["components"]["schemas"]["ApiTokenRead"]).count("token_hash") == 0
