"""Sign-ins and account events: recorded with actor, address and outcome; a failed sign-in is kept although
the request answered 401 and rolled back."""

from __future__ import annotations

from .helpers import events, one


async def test_a_sign_in_is_recorded_with_address_and_user_agent(client, register):
    ada = await register("ada@example.com")
    response = await client.post("/api/auth/login", json={"email": "ada@example.com", "password": ada.password},
                                 headers={"User-Agent": "curl/8.5"})
    assert response.status_code == 200, response.text
    event = one(await events(client, ada), "auth.sign_in")
    assert (event["outcome"], event["via"], event["actor_email"], event["target_id"]) == (
        "success", "password", "ada@example.com", ada.tokens["user"]["id"])
    assert event["ip"] == "127.0.0.1" and event["user_agent"] == "curl/8.5"
    assert event["team_id"] is None


async def test_a_failed_sign_in_is_kept_although_the_request_answered_401(client, register):
    ada = await register("ada@example.com")
    wrong = await client.post("/api/auth/login", json={"email": "ada@example.com", "password": "not the password"})
    assert wrong.status_code == 401
    event = one(await events(client, ada), "auth.sign_in", outcome="failure")
    # Nobody proved who they were: no actor, but the email tried and the account it was tried against.
    assert event["actor_user_id"] is None and event["actor_email"] == "ada@example.com"
    assert event["target_id"] == ada.tokens["user"]["id"] and event["ip"] == "127.0.0.1"
    assert event["detail"] == {"reason": "wrong email or password"}


async def test_a_failed_sign_in_for_an_unknown_email_records_the_email_tried(client, app):
    from sqlalchemy import select

    from tuneforge.audit.models import AuditEvent

    wrong = await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "whatever it is"})
    assert wrong.status_code == 401
    async with app.state.sessionmaker() as session:
        rows = list(await session.scalars(select(AuditEvent).where(AuditEvent.actor_email == "nobody@example.com")))
    assert [(r.action, r.outcome, r.actor_user_id, r.target_id) for r in rows] == [
        ("auth.sign_in", "failure", None, None)]


async def test_sign_out_password_change_and_tokens_are_in_ones_own_log(client, register):
    ada = await register("ada@example.com")
    bad = await client.post("/api/auth/password", json={"current_password": "wrong one", "new_password": "another horse battery"},
                            headers=ada.headers)
    assert bad.status_code == 400
    changed = await client.post("/api/auth/password", json={"current_password": ada.password,
                                                            "new_password": "another horse battery"}, headers=ada.headers)
    assert changed.status_code == 200, changed.text
    headers = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    token = await client.post("/api/tokens", json={"name": "CI uploads", "scope": "write"}, headers=headers)
    assert token.status_code == 201, token.text
    assert (await client.delete(f"/api/tokens/{token.json()['id']}", headers=headers)).status_code == 204
    out = await client.post("/api/auth/logout", json={"refresh_token": changed.json()["refresh_token"]})
    assert out.status_code == 204

    ada.tokens = (await client.post("/api/auth/login", json={"email": ada.email, "password": "another horse battery"})).json()
    found = await events(client, ada)
    assert one(found, "auth.password_changed", outcome="failure")["detail"] == {"reason": "wrong current password"}
    assert one(found, "auth.password_changed", outcome="success")["actor_email"] == "ada@example.com"
    created = one(found, "token.created")
    assert (created["target_label"], created["detail"]["scope"], created["target_id"]) == ("CI uploads", "write", token.json()["id"])
    # The secret is nowhere in the event.
    assert token.json()["token"] not in str(found)
    assert one(found, "token.revoked")["target_id"] == token.json()["id"]
    assert one(found, "auth.sign_out")["outcome"] == "success"
    # Newest first.
    assert [e["created_at"] for e in found] == sorted((e["created_at"] for e in found), reverse=True)


async def test_ones_own_log_shows_nobody_elses_events(client, register):
    ada = await register("ada@example.com")
    bob = await register("bob@example.com")
    await client.post("/api/auth/login", json={"email": "bob@example.com", "password": "wrong password here"})
    await client.post("/api/auth/login", json={"email": "bob@example.com", "password": bob.password})
    mine = await events(client, ada)
    assert mine and all("bob" not in str(e["actor_email"]) + str(e["target_label"]) for e in mine)


async def test_a_forged_forwarded_for_header_does_not_forge_the_address(client, register):
    ada = await register("ada@example.com")
    await client.post("/api/auth/login", json={"email": "ada@example.com", "password": "not the password"},
                      headers={"X-Forwarded-For": "6.6.6.6"})
    event = one(await events(client, ada), "auth.sign_in", outcome="failure")
    assert event["ip"] == "127.0.0.1"
