"""Teams that share: create, invite by link, accept or decline, roles, removal, leaving, handing over,
deleting. In-process API against the real PostgreSQL (rolled back per test)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from tuneforge.db import utcnow
from tuneforge.teams.models import Invitation

from ..jobs.conftest import CHAT_ROWS
from ..jobs.test_jobs_api import _job, _upload


async def _team(client, owner, name: str = "Research") -> str:
    created = await client.post("/api/teams", json={"name": name}, headers=owner.headers)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "owner" and created.json()["personal"] is False
    return created.json()["id"]


async def _invite(client, inviter, team_id: str, email: str, role: str = "member") -> dict:
    response = await client.post(f"/api/teams/{team_id}/invitations", json={"email": email, "role": role}, headers=inviter.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _token(invitation: dict) -> str:
    assert invitation["link"].startswith("/invitations/")
    return invitation["link"].removeprefix("/invitations/")


async def _join(client, owner, team_id: str, account, role: str = "member") -> None:
    token = _token(await _invite(client, owner, team_id, account.email, role))
    accepted = await client.post(f"/api/invitations/{token}/accept", headers=account.headers)
    assert accepted.status_code == 200, accepted.text


async def _roles(client, account, team_id: str) -> dict[str, str]:
    members = await client.get(f"/api/teams/{team_id}/members", headers=account.headers)
    assert members.status_code == 200, members.text
    return {m["email"]: m["role"] for m in members.json()}


@pytest.fixture
def notified(monkeypatch):
    """The (user, team) pairs whose sockets were told to close (NOTIFY session_revoked)."""
    from tuneforge.auth import revocation

    calls: list[tuple[str, str]] = []
    original = revocation.notify_membership_ended

    async def record(*, session, user_id, team_id):
        calls.append((str(user_id), str(team_id)))
        await original(session=session, user_id=user_id, team_id=team_id)

    monkeypatch.setattr(revocation, "notify_membership_ended", record)
    return calls


async def test_invite_accept_and_see_the_teams_data(client, register, app):
    owner = await register("owner@example.com", name="Olga")
    bob = await register("bob@example.com", name="Bob")
    team_id = await _team(client, owner)
    upload = await client.post(f"/api/teams/{team_id}/datasets", files=[("files", ("d.jsonl", b'{"text": "hi"}\n', "application/jsonl"))],
                               data={"name": "shared"}, headers=owner.headers)
    assert upload.status_code in (200, 201), upload.text

    # Before joining, the team is not his: 404, not 403.
    assert (await client.get(f"/api/teams/{team_id}/datasets", headers=bob.headers)).status_code == 404

    invitation = await _invite(client, owner, team_id, "  BOB@Example.com ", "member")
    assert invitation["email"] == "bob@example.com" and invitation["status"] == "pending"
    assert invitation["invited_by"] == "Olga"
    assert timedelta(days=6, hours=23) < _parse(invitation["expires_at"]) - utcnow() <= timedelta(days=7)
    token = _token(invitation)

    # Only the hash is stored.
    async with app.state.sessionmaker() as session:
        from sqlalchemy import select
        stored = await session.scalar(select(Invitation).where(Invitation.id == uuid.UUID(invitation["id"])))
        assert token not in stored.token_hash and len(stored.token_hash) == 64

    pending = await client.get(f"/api/teams/{team_id}/invitations", headers=owner.headers)
    assert [i["email"] for i in pending.json()] == ["bob@example.com"] and "link" not in pending.json()[0]
    assert pending.headers["cache-control"] == "no-store"

    view = await client.get(f"/api/invitations/{token}", headers=bob.headers)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["team_name"] == "Research" and body["invited_by"] == "Olga" and body["role"] == "member"
    assert body["status"] == "pending" and body["can_accept"] is True and "Olga invited you" in body["message"]

    accepted = await client.post(f"/api/invitations/{token}/accept", headers=bob.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["id"] == team_id and accepted.json()["role"] == "member"

    datasets = await client.get(f"/api/teams/{team_id}/datasets", headers=bob.headers)
    assert datasets.status_code == 200, datasets.text
    assert [d["name"] for d in _items(datasets.json())] == ["shared"]
    me = await client.get("/api/auth/me", headers=bob.headers)
    assert {t["id"]: t["role"] for t in me.json()["teams"]}[team_id] == "member"
    assert await _roles(client, bob, team_id) == {"owner@example.com": "owner", "bob@example.com": "member"}
    assert (await client.get(f"/api/teams/{team_id}/invitations", headers=owner.headers)).json() == []

    # Single use: the same link again is refused, in plain words.
    again = await client.post(f"/api/invitations/{token}/accept", headers=bob.headers)
    assert again.status_code == 409 and "already been used" in again.json()["detail"]
    assert (await client.get(f"/api/invitations/{token}", headers=bob.headers)).json()["status"] == "accepted"


def _parse(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _items(body):
    return body["items"] if isinstance(body, dict) else body


async def test_wrong_account_bad_link_expired_declined_and_revoked(client, register, app):
    owner = await register("owner@example.com")
    bob = await register("bob@example.com")
    eve = await register("eve@example.com")
    team_id = await _team(client, owner)

    token = _token(await _invite(client, owner, team_id, "bob@example.com"))
    view = (await client.get(f"/api/invitations/{token}", headers=eve.headers)).json()
    assert view["can_accept"] is False and view["for_you"] is False
    assert "for bob@example.com" in view["message"] and "signed in as eve@example.com" in view["message"]
    refused = await client.post(f"/api/invitations/{token}/accept", headers=eve.headers)
    assert refused.status_code == 403 and "Sign out" in refused.json()["detail"]
    assert (await client.get(f"/api/teams/{team_id}/datasets", headers=eve.headers)).status_code == 404

    for bad_token in ("x" * 43, token[:10]):  # a wrong or cut-off link: plain words, not a validation error
        bad = await client.get(f"/api/invitations/{bad_token}", headers=bob.headers)
        assert bad.status_code == 404 and "not valid" in bad.json()["detail"]
    assert (await client.get(f"/api/invitations/{token}")).status_code == 401

    # Expired.
    async with app.state.sessionmaker() as session:
        await session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        await session.commit()
    expired = await client.get(f"/api/invitations/{token}", headers=bob.headers)
    assert expired.json()["status"] == "expired" and "expired" in expired.json()["message"]
    late = await client.post(f"/api/invitations/{token}/accept", headers=bob.headers)
    assert late.status_code == 409 and "has expired" in late.json()["detail"]
    listed = (await client.get(f"/api/teams/{team_id}/invitations", headers=owner.headers)).json()
    assert [i["status"] for i in listed] == ["expired"]

    # Inviting again replaces the old link with a fresh one.
    fresh = await _invite(client, owner, team_id, "bob@example.com", "viewer")
    assert [i["id"] for i in (await client.get(f"/api/teams/{team_id}/invitations", headers=owner.headers)).json()] == [fresh["id"]]

    # Revoked.
    revoked = await client.delete(f"/api/teams/{team_id}/invitations/{fresh['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    assert (await client.get(f"/api/teams/{team_id}/invitations", headers=owner.headers)).json() == []
    gone = await client.post(f"/api/invitations/{_token(fresh)}/accept", headers=bob.headers)
    assert gone.status_code == 409 and "withdrawn" in gone.json()["detail"]

    # Declined.
    third = _token(await _invite(client, owner, team_id, "bob@example.com"))
    declined = await client.post(f"/api/invitations/{third}/decline", headers=bob.headers)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    after = await client.post(f"/api/invitations/{third}/accept", headers=bob.headers)
    assert after.status_code == 409 and "declined" in after.json()["detail"]
    assert (await client.get(f"/api/teams/{team_id}/datasets", headers=bob.headers)).status_code == 404

    # Already a member: no invitation.
    await _join(client, owner, team_id, bob)
    twice = await client.post(f"/api/teams/{team_id}/invitations", json={"email": "bob@example.com"}, headers=owner.headers)
    assert twice.status_code == 409 and "already a member" in twice.json()["detail"]


async def test_who_may_invite_with_which_role(client, register):
    owner = await register("owner@example.com")
    admin = await register("admin@example.com")
    member = await register("member@example.com")
    viewer = await register("viewer@example.com")
    team_id = await _team(client, owner)
    await _join(client, owner, team_id, admin, "admin")
    await _join(client, owner, team_id, member, "member")
    await _join(client, owner, team_id, viewer, "viewer")

    no_owner = await client.post(f"/api/teams/{team_id}/invitations", json={"email": "x@example.com", "role": "owner"}, headers=admin.headers)
    assert no_owner.status_code == 403 and "Only an owner" in no_owner.json()["detail"]
    assert (await _invite(client, admin, team_id, "x@example.com", "admin"))["role"] == "admin"
    assert (await _invite(client, owner, team_id, "y@example.com", "owner"))["role"] == "owner"

    for account, needed in ((member, "admin"), (viewer, "admin")):
        refused = await client.post(f"/api/teams/{team_id}/invitations", json={"email": "z@example.com"}, headers=account.headers)
        assert refused.status_code == 403
        assert f"needs the {needed} role" in refused.json()["detail"]
        assert (await client.get(f"/api/teams/{team_id}/invitations", headers=account.headers)).status_code == 403

    # A viewer reads the team but changes nothing; the refusal names the role needed.
    assert (await client.get(f"/api/teams/{team_id}", headers=viewer.headers)).json()["role"] == "viewer"
    rename = await client.patch(f"/api/teams/{team_id}", json={"name": "Mine"}, headers=viewer.headers)
    assert rename.status_code == 403 and "needs the admin role" in rename.json()["detail"] and "you are a viewer" in rename.json()["detail"]
    upload = await client.post(f"/api/teams/{team_id}/datasets", files=[("files", ("d.jsonl", b'{"text": "hi"}\n', "application/jsonl"))],
                               data={"name": "nope"}, headers=viewer.headers)
    assert upload.status_code == 403 and "needs the member role" in upload.json()["detail"]


async def test_role_changes(client, register):
    owner = await register("owner@example.com")
    admin = await register("admin@example.com")
    member = await register("member@example.com")
    team_id = await _team(client, owner)
    await _join(client, owner, team_id, admin, "admin")
    await _join(client, owner, team_id, member, "member")
    ids = {m["email"]: m["user_id"] for m in (await client.get(f"/api/teams/{team_id}/members", headers=owner.headers)).json()}

    def url(email: str) -> str:
        return f"/api/teams/{team_id}/members/{ids[email]}"

    # An admin gives roles up to admin, never owner, and cannot touch an owner.
    up = await client.patch(url("member@example.com"), json={"role": "admin"}, headers=admin.headers)
    assert up.status_code == 200 and up.json()["role"] == "admin"
    down = await client.patch(url("member@example.com"), json={"role": "viewer"}, headers=admin.headers)
    assert down.status_code == 200 and down.json()["role"] == "viewer"
    make_owner = await client.patch(url("member@example.com"), json={"role": "owner"}, headers=admin.headers)
    assert make_owner.status_code == 403 and "Only an owner" in make_owner.json()["detail"]
    demote_owner = await client.patch(url("owner@example.com"), json={"role": "member"}, headers=admin.headers)
    assert demote_owner.status_code == 403 and "above your role" in demote_owner.json()["detail"]
    viewer_try = await client.patch(url("admin@example.com"), json={"role": "viewer"}, headers=member.headers)
    assert viewer_try.status_code == 403 and "needs the admin role" in viewer_try.json()["detail"]

    # The last owner can be neither demoted nor removed, nor leave.
    last = await client.patch(url("owner@example.com"), json={"role": "admin"}, headers=owner.headers)
    assert last.status_code == 409 and "only owner" in last.json()["detail"]
    leave = await client.post(f"/api/teams/{team_id}/leave", headers=owner.headers)
    assert leave.status_code == 409 and "only owner" in leave.json()["detail"]

    # With a second owner, the first may step down.
    assert (await client.patch(url("admin@example.com"), json={"role": "owner"}, headers=owner.headers)).json()["role"] == "owner"
    assert (await client.patch(url("owner@example.com"), json={"role": "member"}, headers=owner.headers)).json()["role"] == "member"
    assert await _roles(client, owner, team_id) == {
        "owner@example.com": "member", "admin@example.com": "owner", "member@example.com": "viewer"}

    missing = await client.patch(f"/api/teams/{team_id}/members/{uuid.uuid4()}", json={"role": "member"}, headers=admin.headers)
    assert missing.status_code == 404


async def test_remove_member_closes_their_access(client, register, notified):
    owner = await register("owner@example.com")
    admin = await register("admin@example.com")
    bob = await register("bob@example.com")
    team_id = await _team(client, owner)
    await _join(client, owner, team_id, admin, "admin")
    await _join(client, owner, team_id, bob)
    ids = {m["email"]: m["user_id"] for m in (await client.get(f"/api/teams/{team_id}/members", headers=owner.headers)).json()}
    paths = ("datasets", "jobs", "models", "members")
    for path in paths:
        assert (await client.get(f"/api/teams/{team_id}/{path}", headers=bob.headers)).status_code == 200, path

    no_owner = await client.delete(f"/api/teams/{team_id}/members/{ids['owner@example.com']}", headers=admin.headers)
    assert no_owner.status_code == 403
    by_member = await client.delete(f"/api/teams/{team_id}/members/{ids['admin@example.com']}", headers=bob.headers)
    assert by_member.status_code == 403 and "needs the admin role" in by_member.json()["detail"]

    removed = await client.delete(f"/api/teams/{team_id}/members/{ids['bob@example.com']}", headers=admin.headers)
    assert removed.status_code == 204
    assert notified == [(ids["bob@example.com"], team_id)]
    for path in paths:
        response = await client.get(f"/api/teams/{team_id}/{path}", headers=bob.headers)
        assert response.status_code == 404, (path, response.text)
    assert (await client.get(f"/api/teams/{team_id}", headers=bob.headers)).status_code == 404
    assert team_id not in {t["id"] for t in (await client.get("/api/teams", headers=bob.headers)).json()}

    last_owner = await client.delete(f"/api/teams/{team_id}/members/{ids['owner@example.com']}", headers=owner.headers)
    assert last_owner.status_code == 409 and "only owner" in last_owner.json()["detail"]

    # Leaving: anyone but the last owner; never one's own personal team.
    assert (await client.post(f"/api/teams/{team_id}/leave", headers=admin.headers)).status_code == 204
    assert notified[-1] == (ids["admin@example.com"], team_id)
    assert (await client.get(f"/api/teams/{team_id}", headers=admin.headers)).status_code == 404
    personal = await client.post(f"/api/teams/{owner.team_id}/leave", headers=owner.headers)
    assert personal.status_code == 409 and "personal team" in personal.json()["detail"]


async def test_hand_over_ownership(client, register):
    owner = await register("owner@example.com")
    bob = await register("bob@example.com")
    outsider = await register("out@example.com")
    team_id = await _team(client, owner)
    await _join(client, owner, team_id, bob, "viewer")
    ids = {m["email"]: m["user_id"] for m in (await client.get(f"/api/teams/{team_id}/members", headers=owner.headers)).json()}

    not_member = await client.post(f"/api/teams/{team_id}/hand-over", json={"user_id": outsider.tokens["user"]["id"]}, headers=owner.headers)
    assert not_member.status_code == 404 and "Invite them first" in not_member.json()["detail"]
    by_viewer = await client.post(f"/api/teams/{team_id}/hand-over", json={"user_id": ids["bob@example.com"]}, headers=bob.headers)
    assert by_viewer.status_code == 403 and "needs the owner role" in by_viewer.json()["detail"]

    handed = await client.post(f"/api/teams/{team_id}/hand-over", json={"user_id": ids["bob@example.com"]}, headers=owner.headers)
    assert handed.status_code == 200, handed.text
    assert handed.json()["role"] == "admin"
    assert {m["email"]: m["role"] for m in handed.json()["members"]} == {"owner@example.com": "admin", "bob@example.com": "owner"}
    # The new owner may now delete; the old one may not.
    assert (await client.delete(f"/api/teams/{team_id}", headers=owner.headers)).status_code == 403

    personal = await client.post(f"/api/teams/{owner.team_id}/hand-over", json={"user_id": ids["bob@example.com"]}, headers=owner.headers)
    assert personal.status_code == 409 and "personal team" in personal.json()["detail"]


async def test_rename_and_delete_rules(client, register):
    owner = await register("owner@example.com")
    admin = await register("admin@example.com")
    team_id = await _team(client, owner, "Lab")
    await _join(client, owner, team_id, admin, "admin")

    renamed = await client.patch(f"/api/teams/{team_id}", json={"name": "  Vision lab "}, headers=admin.headers)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Vision lab"
    empty = await client.patch(f"/api/teams/{team_id}", json={"name": "  "}, headers=owner.headers)
    assert empty.status_code == 422

    by_admin = await client.delete(f"/api/teams/{team_id}", headers=admin.headers)
    assert by_admin.status_code == 403 and "needs the owner role" in by_admin.json()["detail"]
    personal = await client.delete(f"/api/teams/{owner.team_id}", headers=owner.headers)
    assert personal.status_code == 409 and "personal team" in personal.json()["detail"]

    # A queued job keeps the team.
    shared = _Shared(owner, team_id)
    version = await _upload(client, shared, "chat", CHAT_ROWS)
    job = await client.post(f"/api/teams/{team_id}/jobs", json=_job(version), headers=owner.headers)
    assert job.status_code == 201, job.text
    busy = await client.delete(f"/api/teams/{team_id}", headers=owner.headers)
    assert busy.status_code == 409 and "1 job queued or running" in busy.json()["detail"]
    cancelled = await client.post(f"/api/jobs/{job.json()['id']}/cancel", headers=owner.headers)
    assert cancelled.status_code in (200, 202), cancelled.text

    deleted = await client.delete(f"/api/teams/{team_id}", headers=owner.headers)
    assert deleted.status_code == 204, deleted.text
    assert (await client.get(f"/api/teams/{team_id}", headers=owner.headers)).status_code == 404
    assert (await client.get(f"/api/teams/{team_id}/datasets", headers=admin.headers)).status_code == 404
    assert [t["personal"] for t in (await client.get("/api/teams", headers=owner.headers)).json()] == [True]


class _Shared:
    """An Account seen through another of its teams (for helpers that use `account.team_id`)."""

    def __init__(self, account, team_id: str) -> None:
        self.headers, self.team_id = account.headers, team_id


async def test_another_teams_ids_answer_404(client, register):
    owner = await register("owner@example.com")
    stranger = await register("stranger@example.com")
    team_id = await _team(client, owner)
    invitation = await _invite(client, owner, team_id, "someone@example.com")
    owner_id = owner.tokens["user"]["id"]
    for method, path, body in [
        ("GET", f"/api/teams/{team_id}", None),
        ("PATCH", f"/api/teams/{team_id}", {"name": "x"}),
        ("DELETE", f"/api/teams/{team_id}", None),
        ("POST", f"/api/teams/{team_id}/hand-over", {"user_id": owner_id}),
        ("GET", f"/api/teams/{team_id}/members", None),
        ("PATCH", f"/api/teams/{team_id}/members/{owner_id}", {"role": "viewer"}),
        ("DELETE", f"/api/teams/{team_id}/members/{owner_id}", None),
        ("POST", f"/api/teams/{team_id}/leave", None),
        ("GET", f"/api/teams/{team_id}/invitations", None),
        ("POST", f"/api/teams/{team_id}/invitations", {"email": "a@example.com"}),
        ("DELETE", f"/api/teams/{team_id}/invitations/{invitation['id']}", None),
    ]:
        response = await client.request(method, path, json=body, headers=stranger.headers)
        assert response.status_code == 404, (method, path, response.text)
    # An invitation id of one team is not found through another team.
    mine = await client.delete(f"/api/teams/{stranger.team_id}/invitations/{invitation['id']}", headers=stranger.headers)
    assert mine.status_code == 404
    assert [i["id"] for i in (await client.get(f"/api/teams/{team_id}/invitations", headers=owner.headers)).json()] == [invitation["id"]]
