"""Single sign-on with OpenID Connect, end to end through the API against the loopback provider."""

from __future__ import annotations

import base64
import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from sqlalchemy import text

from .conftest import LABEL, browser_sign_in


async def _audit(db, action: str) -> list[dict]:
    rows = await db.execute(
        text("SELECT via, outcome, actor_email, detail FROM audit_event WHERE action = :a ORDER BY created_at"),
        {"a": action},
    )
    return [dict(row._mapping) for row in rows]


async def test_the_login_page_learns_whether_sso_is_set_up(client, settings, provider):
    answer = await client.get("/api/auth/sso")
    assert answer.json() == {"enabled": True, "label": LABEL}
    settings.oidc_discovery_url = None
    assert (await client.get("/api/auth/sso")).json()["enabled"] is False


async def test_first_sign_in_creates_an_account_with_its_personal_team(client, provider, db):
    outcome = await browser_sign_in(client, "/training?tab=jobs")

    assert outcome.next_path == "/training?tab=jobs"
    me = (await client.get("/api/auth/me", headers=outcome.headers)).json()
    assert me["email"] == "ada@example.com" and me["display_name"] == "Ada Lovelace"
    assert [t["personal"] for t in me["teams"]] == [True]
    assert jwt.decode(outcome.tokens["access_token"], options={"verify_signature": False})["via"] == "sso"
    # The provider saw a correct authorization-code flow with PKCE, and the client authenticated as it asked.
    authorize = next(r for r in provider.requests if r["path"] == "/authorize")["query"]
    assert authorize["code_challenge_method"] == ["S256"] and authorize["response_type"] == ["code"]
    assert "openid" in authorize["scope"][0].split() and authorize["nonce"] and authorize["state"]
    token = next(r for r in provider.requests if r["path"] == "/token")
    assert token["headers"]["authorization"].startswith("Basic ") and "client_secret" not in token["form"]
    assert token["form"]["code_verifier"] and provider.refusals == []
    # No password: the password form cannot sign in to it.
    login = await client.post("/api/auth/login", json={"email": "ada@example.com", "password": "anything at all"})
    assert login.status_code == 401
    assert [(e["via"], e["outcome"]) for e in await _audit(db, "auth.sign_in")] == [("sso", "success"), ("password", "failure")]


async def test_the_next_sign_in_finds_the_linked_account_even_with_a_new_email(client, provider):
    first = await browser_sign_in(client)
    provider.user["email"] = "ada.lovelace@example.com"
    second = await browser_sign_in(client)
    assert second.tokens["user"]["id"] == first.tokens["user"]["id"]
    assert second.tokens["user"]["email"] == "ada@example.com"


async def test_an_existing_account_is_linked_by_a_verified_email(client, provider, register, db):
    account = await register("Ada@Example.com")
    outcome = await browser_sign_in(client)
    assert outcome.tokens["user"]["id"] == account.tokens["user"]["id"]
    linked = await _audit(db, "auth.sso_linked")
    assert len(linked) == 1 and linked[0]["detail"]["subject"] == "fake-user-1"
    # The password still works for the same account.
    login = await client.post("/api/auth/login", json={"email": account.email, "password": account.password})
    assert login.json()["user"]["id"] == account.tokens["user"]["id"]


async def test_an_unverified_email_of_an_existing_account_is_refused_not_linked(client, provider, register, db):
    await register("ada@example.com")
    provider.user["email_verified"] = False

    outcome = await browser_sign_in(client)

    assert outcome.tokens is None
    assert "already exists" in outcome.error and f"{LABEL} has not verified that this address is yours" in outcome.error
    assert (await db.scalar(text("SELECT count(*) FROM user_identity"))) == 0
    failures = await _audit(db, "auth.sign_in")
    assert [(f["outcome"], f["via"], f["detail"]["reason"]) for f in failures] == [
        ("failure", "sso", "unverified_email_collision")
    ]


async def test_an_unverified_email_without_an_account_makes_a_new_one(client, provider):
    provider.user.update(email="new@example.com", email_verified=False)
    outcome = await browser_sign_in(client)
    assert outcome.tokens["user"]["email"] == "new@example.com"


async def test_the_email_comes_from_userinfo_when_the_id_token_has_none(client, provider):
    provider.id_token_has_email = False
    outcome = await browser_sign_in(client)
    assert outcome.tokens["user"]["email"] == "ada@example.com"
    assert any(r["path"] == "/userinfo" for r in provider.requests)


async def test_client_secret_post_when_the_provider_only_takes_that(client, provider):
    provider.auth_method = "client_secret_post"
    outcome = await browser_sign_in(client)
    assert outcome.tokens is not None
    token = next(r for r in provider.requests if r["path"] == "/token")
    assert token["form"]["client_secret"] == [provider.client_secret] and "authorization" not in token["headers"]


def _with(query: str, **changes: str) -> str:
    values = {k: v[0] for k, v in parse_qs(query).items()}
    values.update(changes)
    return urlencode(values)


async def test_a_callback_whose_state_is_not_this_browsers_is_refused(client, provider, db):
    outcome = await browser_sign_in(client, tamper_callback=lambda q: _with(q, state="forged-state"))
    assert outcome.tokens is None and "state mismatch" in outcome.error
    # Refused before the code was spent: nothing reached the token endpoint.
    assert not any(r["path"] == "/token" for r in provider.requests)
    assert (await _audit(db, "auth.sign_in"))[0]["detail"]["reason"] == "state_mismatch"


async def test_a_callback_without_the_flow_cookie_is_refused(client, provider):
    start = await client.get("/api/auth/sso/start")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    client.cookies.clear()
    callback = await client.get("/api/auth/sso/callback", params={"code": "whatever", "state": state})
    assert callback.status_code == 303
    assert "not started in this browser" in parse_qs(urlsplit(callback.headers["location"]).query)["sso_error"][0]


async def test_a_replayed_code_is_refused_by_the_provider(client, provider):
    import httpx

    from tuneforge.auth import oidc

    start = await client.get("/api/auth/sso/start")
    cookie = client.cookies.get(oidc.FLOW_COOKIE)
    async with httpx.AsyncClient() as at_provider:
        back = (await at_provider.get(start.headers["location"])).headers["location"]
    callback_path = back.split("testserver", 1)[1]
    first = await client.get(callback_path)
    assert urlsplit(first.headers["location"]).path == "/sso/callback"
    # A copy of the whole redirect, cookie included, played again: only the provider can tell.
    second = await client.get(callback_path, headers={"Cookie": f"{oidc.FLOW_COOKIE}={cookie}"})
    error = parse_qs(urlsplit(second.headers["location"]).query)["sso_error"][0]
    assert "did not accept the sign-in (invalid_grant)" in error
    assert "token: the code was already used" in provider.refusals


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"nonce": "another-flows-nonce"}, "id_token_nonce"),
        ({"exp_offset": -3600}, "id_token_expired"),
        ({"sign_with_other_key": True}, "id_token_signature"),
        ({"aud": "another-client"}, "id_token_audience"),
    ],
)
async def test_an_id_token_that_does_not_verify_signs_nobody_in(client, provider, db, tamper, reason):
    provider.tamper = tamper
    outcome = await browser_sign_in(client)
    assert outcome.tokens is None
    assert outcome.error.startswith(f"The answer from {LABEL} could not be verified")
    assert (await db.scalar(text("SELECT count(*) FROM user_account"))) == 0
    assert (await _audit(db, "auth.sign_in"))[0]["detail"]["reason"] == reason


async def test_cancelled_at_the_provider_says_so(client, provider):
    provider.deny_next = True
    outcome = await browser_sign_in(client)
    assert outcome.error == f"Sign-in was cancelled or refused at {LABEL}. Start again to sign in."


async def test_a_provider_that_is_down_sends_back_to_the_login_page(client, settings, provider):
    provider.stop()
    outcome = await browser_sign_in(client, "/datasets")
    assert outcome.error.startswith(f"{LABEL} could not be reached")
    assert parse_qs(urlsplit(outcome.location).query)["next"] == ["/datasets"]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
async def test_next_is_only_ever_a_path_of_this_site(client, provider, target):
    outcome = await browser_sign_in(client, target, exchange=False)
    assert outcome.next_path == "/"


async def test_the_one_time_code_works_once(client, provider):
    outcome = await browser_sign_in(client, exchange=False)
    code = parse_qs(urlsplit(outcome.location).fragment)["code"][0]
    assert (await client.post("/api/auth/sso/exchange", json={"code": code})).status_code == 200
    again = await client.post("/api/auth/sso/exchange", json={"code": code})
    assert again.status_code == 401 and "already used or has expired" in again.json()["detail"]


async def test_not_set_up_start_says_so(client, settings):
    settings.oidc_discovery_url = None
    start = await client.get("/api/auth/sso/start")
    assert start.status_code == 303
    assert "not set up" in parse_qs(urlsplit(start.headers["location"]).query)["sso_error"][0]


# -- SSO-only teams ---------------------------------------------------------------------------------


async def _team_of_two_sessions(client, provider, register):
    """Ada with a password session and an SSO session (her account linked), owner of a shared team."""
    password = await register("ada@example.com")
    sso = await browser_sign_in(client)
    team = await client.post("/api/teams", json={"name": "Secure lab"}, headers=sso.headers)
    return password, sso, team.json()["id"]


async def test_an_sso_only_team_refuses_password_sessions_and_tokens(client, provider, register, db):
    password, sso, team_id = await _team_of_two_sessions(client, provider, register)
    token = (await client.post("/api/tokens", json={"name": "ci", "scope": "read"}, headers=password.headers)).json()
    token_headers = {"Authorization": f"Bearer {token['token']}"}

    on = await client.put(f"/api/teams/{team_id}/sso", json={"sso_only": True}, headers=sso.headers)
    assert on.status_code == 200 and on.json()["sso_only"] is True

    for path in (f"/api/teams/{team_id}", f"/api/teams/{team_id}/members", f"/api/teams/{team_id}/datasets"):
        refused = await client.get(path, headers=password.headers)
        assert refused.status_code == 403, path
        assert refused.json()["detail"] == f"This team requires single sign-on. Sign out and sign in with {LABEL}."
        assert (await client.get(path, headers=sso.headers)).status_code == 200
        by_token = await client.get(path, headers=token_headers)
        assert by_token.status_code == 403 and "API tokens cannot reach it" in by_token.json()["detail"]
    # Her personal team does not require it.
    personal = password.tokens["user"]["teams"][0]["id"]
    assert (await client.get(f"/api/teams/{personal}", headers=password.headers)).status_code == 200
    # A refreshed SSO session is still an SSO session.
    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": sso.tokens["refresh_token"]})
    again = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert (await client.get(f"/api/teams/{team_id}", headers=again)).status_code == 200
    changes = await _audit(db, "team.sso_only_changed")
    assert [(c["via"], c["detail"]) for c in changes] == [("sso", {"sso_only": True})]


async def test_turning_sso_only_on_needs_an_sso_session_and_sso_set_up(client, settings, provider, register):
    password, sso, team_id = await _team_of_two_sessions(client, provider, register)
    from_password = await client.put(f"/api/teams/{team_id}/sso", json={"sso_only": True}, headers=password.headers)
    assert from_password.status_code == 400 and "locked out" in from_password.json()["detail"]
    settings.oidc_discovery_url = None
    unset = await client.put(f"/api/teams/{team_id}/sso", json={"sso_only": True}, headers=sso.headers)
    assert unset.status_code == 409 and "TUNEFORGE_OIDC_DISCOVERY_URL" in unset.json()["detail"]
    read = (await client.get(f"/api/teams/{team_id}/sso", headers=password.headers)).json()
    assert read == {"sso_only": False, "sso_available": False, "label": LABEL, "session_via": "password"}


async def test_members_below_admin_cannot_change_it(client, provider, register):
    _, sso, team_id = await _team_of_two_sessions(client, provider, register)
    bob = await register("bob@example.com")
    invite = await client.post(f"/api/teams/{team_id}/invitations", json={"email": bob.email, "role": "member"},
                               headers=sso.headers)
    token = invite.json()["link"].rsplit("/", 1)[1]
    await client.post(f"/api/invitations/{token}/accept", headers=bob.headers)
    answer = await client.put(f"/api/teams/{team_id}/sso", json={"sso_only": True}, headers=bob.headers)
    assert answer.status_code == 403 and "admin role" in answer.json()["detail"]


# -- the client secret -------------------------------------------------------------------------------


async def test_the_client_secret_never_shows_in_logs_answers_or_the_audit_log(client, settings, provider, db, caplog):
    caplog.set_level(logging.DEBUG)
    secret = provider.client_secret
    seen: list[str] = []
    outcome = await browser_sign_in(client)
    seen.append(str(outcome.tokens))
    provider.client_secret = "the-provider-now-expects-another"  # the token endpoint refuses our client
    refused = await browser_sign_in(client)
    assert "invalid_client" in refused.error
    seen += [refused.location, refused.error]
    seen.append((await client.get("/api/auth/sso")).text)
    seen += [str(settings), repr(settings), settings.model_dump_json()]
    details = await db.execute(text("SELECT detail::text FROM audit_event"))
    seen += [str(row[0]) for row in details]
    basic = base64.b64encode(f"{provider.client_id}:{secret}".encode()).decode()
    for text_ in seen + [caplog.text]:
        assert secret not in text_ and basic not in text_


async def test_the_team_feed_websocket_of_an_sso_only_team_admits_sso_sessions_only(app, client, provider, register):
    from tuneforge.jobs.fanout import EventFanout

    from ..teams.test_route_walk import _websocket

    app.state.fanout = EventFanout(dsn="", sessionmaker=app.state.sessionmaker)  # httpx runs no lifespan
    password, sso, team_id = await _team_of_two_sessions(client, provider, register)
    path = f"/api/ws/teams/{team_id}"
    assert await _websocket(app, path, password.tokens["access_token"]) == "open"
    await client.put(f"/api/teams/{team_id}/sso", json={"sso_only": True}, headers=sso.headers)
    assert await _websocket(app, path, password.tokens["access_token"]) == 4404
    assert await _websocket(app, path, sso.tokens["access_token"]) == "open"
