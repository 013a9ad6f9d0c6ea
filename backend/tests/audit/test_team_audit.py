"""A team's audit log: what each listed action records, who may read it (admins; others 403; other teams
404), what it shows (the team's events and its members' account events, never another team's), filters,
pagination and the CSV export."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from ..jobs.conftest import CHAT_ROWS
from ..jobs.test_jobs_api import _job, _upload
from ..teams.test_members import _join, _team
from .helpers import events, one


async def test_team_member_and_invitation_changes_are_recorded(client, register):
    olga = await register("olga@example.com", name="Olga")
    bob = await register("bob@example.com", name="Bob")
    cleo = await register("cleo@example.com", name="Cleo")
    team_id = await _team(client, olga, "Research")
    assert (await client.patch(f"/api/teams/{team_id}", json={"name": "Research Lab"}, headers=olga.headers)).status_code == 200
    await _join(client, olga, team_id, bob, "member")
    revoked = await client.post(f"/api/teams/{team_id}/invitations", json={"email": "dan@example.com", "role": "viewer"},
                                headers=olga.headers)
    assert (await client.delete(f"/api/teams/{team_id}/invitations/{revoked.json()['id']}",
                                headers=olga.headers)).status_code == 204
    declined = await client.post(f"/api/teams/{team_id}/invitations", json={"email": "cleo@example.com"}, headers=olga.headers)
    token = declined.json()["link"].removeprefix("/invitations/")
    assert (await client.post(f"/api/invitations/{token}/decline", headers=cleo.headers)).status_code == 200
    role = await client.patch(f"/api/teams/{team_id}/members/{bob.tokens['user']['id']}", json={"role": "admin"},
                              headers=olga.headers)
    assert role.status_code == 200, role.text
    assert (await client.delete(f"/api/teams/{team_id}/members/{bob.tokens['user']['id']}",
                                headers=olga.headers)).status_code == 204

    found = await events(client, olga, team_id)
    assert one(found, "team.created")["target_label"] == "Research"
    assert one(found, "team.renamed")["detail"] == {"from": "Research", "to": "Research Lab"}
    invited = one(found, "invitation.created", target_label="bob@example.com")
    assert (invited["actor_email"], invited["detail"]["role"], invited["ip"]) == ("olga@example.com", "member", "127.0.0.1")
    assert one(found, "invitation.accepted")["actor_email"] == "bob@example.com"
    assert one(found, "invitation.revoked")["target_label"] == "dan@example.com"
    assert one(found, "invitation.declined")["actor_email"] == "cleo@example.com"
    changed = one(found, "member.role_changed")
    assert (changed["target_label"], changed["detail"], changed["outcome"]) == (
        "bob@example.com", {"from": "member", "to": "admin"}, "success")
    assert one(found, "member.removed")["target_label"] == "bob@example.com"
    # No invitation link (its token) is kept in the log.
    assert token not in str(found)


async def test_datasets_and_jobs_are_recorded(client, register):
    ada = await register("ada@example.com")
    version = await _upload(client, ada, "sums", CHAT_ROWS)
    dataset_id = (await client.get(f"/api/teams/{ada.team_id}/datasets", headers=ada.headers)).json()[0]["id"]
    again = await client.post(f"/api/teams/{ada.team_id}/datasets/{dataset_id}/versions",
                              files=[("files", ("more.jsonl", b'{"text": "more"}\n', "application/jsonl"))], headers=ada.headers)
    assert again.status_code in (200, 201), again.text
    job = (await client.post(f"/api/teams/{ada.team_id}/jobs", json=_job(version), headers=ada.headers)).json()
    assert (await client.post(f"/api/jobs/{job['id']}/cancel", headers=ada.headers)).status_code == 200
    assert (await client.delete(f"/api/jobs/{job['id']}", headers=ada.headers)).status_code == 204
    deleted = await client.delete(f"/api/teams/{ada.team_id}/datasets/{dataset_id}", headers=ada.headers)
    assert deleted.status_code == 204, deleted.text

    found = await events(client, ada, ada.team_id)
    uploaded = one(found, "dataset.uploaded")
    assert (uploaded["target_id"], uploaded["target_label"], uploaded["team_id"]) == (dataset_id, "sums", ada.team_id)
    assert uploaded["detail"]["version"] == 1 and uploaded["ip"] == "127.0.0.1"
    added = one(found, "dataset.version_added")
    assert (added["detail"]["files"], added["detail"]["version"]) == (["more.jsonl"], 2)
    launched = one(found, "job.launched")
    assert (launched["target_id"], launched["target_label"], launched["actor_email"]) == (job["id"], job["name"], "ada@example.com")
    assert one(found, "job.cancelled")["target_id"] == job["id"]
    assert one(found, "job.deleted")["target_id"] == job["id"]
    assert one(found, "dataset.deleted")["target_label"] == "sums"


async def test_model_version_tags_are_recorded(client, register, app):
    from tuneforge.registry.models import ModelVersion, RegisteredModel

    ada = await register("ada@example.com")
    async with app.state.sessionmaker() as session:
        model = RegisteredModel(id=uuid.uuid4(), team_id=uuid.UUID(ada.team_id), name="sums-bot")
        session.add(model)
        await session.flush()
        version = ModelVersion(id=uuid.uuid4(), model_id=model.id, team_id=model.team_id, number=1,
                               output_key="jobs/x/output",
                               lineage={"base_model": {"reference": "tiny-llama", "kind": "bundled"}})
        session.add(version)
        await session.commit()
    assert (await client.put(f"/api/model-versions/{version.id}/tags/prod", headers=ada.headers)).status_code == 200
    assert (await client.delete(f"/api/model-versions/{version.id}/tags/prod", headers=ada.headers)).status_code == 200
    found = await events(client, ada, ada.team_id, action="model_version.")
    assert [(e["action"], e["target_label"], e["detail"]) for e in found] == [
        ("model_version.untagged", "sums-bot v1", {"tag": "prod"}),
        ("model_version.tagged", "sums-bot v1", {"tag": "prod"}),
    ]


async def test_only_admins_read_it_and_other_teams_get_404(client, register):
    olga = await register("olga@example.com")
    team_id = await _team(client, olga)
    for role in ("viewer", "member"):
        someone = await register(f"{role}@example.com")
        await _join(client, olga, team_id, someone, role)
        for url in (f"/api/teams/{team_id}/audit", f"/api/teams/{team_id}/audit.csv"):
            refused = await client.get(url, headers=someone.headers)
            assert refused.status_code == 403, (role, url)
            assert "admin" in refused.json()["detail"]
    stranger = await register("stranger@example.com")
    for url in (f"/api/teams/{team_id}/audit", f"/api/teams/{team_id}/audit.csv"):
        assert (await client.get(url, headers=stranger.headers)).status_code == 404
    admin = await register("admin@example.com")
    await _join(client, olga, team_id, admin, "admin")
    assert (await client.get(f"/api/teams/{team_id}/audit", headers=admin.headers)).status_code == 200


async def test_there_is_no_way_to_change_or_delete_an_event(client, register):
    olga = await register("olga@example.com")
    event = (await events(client, olga, olga.team_id))[0]
    for method in ("PATCH", "PUT", "DELETE"):
        for url in (f"/api/teams/{olga.team_id}/audit", f"/api/teams/{olga.team_id}/audit/{event['id']}",
                    f"/api/audit/{event['id']}"):
            response = await client.request(method, url, headers=olga.headers, json={})
            assert response.status_code in (404, 405), (method, url, response.status_code)


async def test_the_team_view_shows_its_members_account_events_and_never_another_teams(client, register):
    olga = await register("olga@example.com")
    bob = await register("bob@example.com")
    eve = await register("eve@example.com")
    team_id = await _team(client, olga)
    await _join(client, olga, team_id, bob)
    await client.post("/api/auth/login", json={"email": "bob@example.com", "password": "wrong password here"})
    await client.post("/api/tokens", json={"name": "bob's script"}, headers=bob.headers)
    # Eve: no member of this team; her events and her team's stay out.
    await client.post("/api/auth/login", json={"email": "eve@example.com", "password": "wrong password here"})
    await client.patch(f"/api/teams/{eve.team_id}", json={"name": "eves-team"}, headers=eve.headers)
    # Bob's own personal team is not this team.
    await client.patch(f"/api/teams/{bob.team_id}", json={"name": "bobs-personal-team"}, headers=bob.headers)

    found = await events(client, olga, team_id)
    assert one(found, "auth.sign_in", outcome="failure")["target_label"] == "bob@example.com"
    assert one(found, "token.created")["actor_email"] == "bob@example.com"
    text = str(found)
    assert "eve@example.com" not in text and "eves-team" not in text and "bobs-personal-team" not in text
    assert {e["team_id"] for e in found} <= {team_id, None}


async def test_filters_and_pages(client, register):
    olga = await register("olga@example.com")
    bob = await register("bob@example.com")
    team_id = await _team(client, olga)
    await _join(client, olga, team_id, bob)
    for n in range(3):
        await client.patch(f"/api/teams/{team_id}", json={"name": f"Team {n}"}, headers=olga.headers)
    await client.post("/api/auth/login", json={"email": "bob@example.com", "password": "wrong password here"})

    everything = await events(client, olga, team_id)
    renamed = await events(client, olga, team_id, action="team.ren")
    assert [e["detail"]["to"] for e in renamed] == ["Team 2", "Team 1", "Team 0"]
    assert {e["action"] for e in await events(client, olga, team_id, actor="bob@example.com")} >= {"invitation.accepted"}
    assert all(e["actor_user_id"] == bob.tokens["user"]["id"]
               for e in await events(client, olga, team_id, actor=bob.tokens["user"]["id"]))
    failures = await events(client, olga, team_id, outcome="failure")
    assert [(e["action"], e["target_label"]) for e in failures] == [("auth.sign_in", "bob@example.com")]
    assert {e["target_type"] for e in await events(client, olga, team_id, target_type="invitation")} == {"invitation"}
    newest = everything[0]["created_at"]
    assert await events(client, olga, team_id, **{"from": newest}) == everything[:1] or \
        all(e["created_at"] >= newest for e in await events(client, olga, team_id, **{"from": newest}))
    assert await events(client, olga, team_id, to="2000-01-01T00:00:00Z") == []

    # Pages of 2, newest first, add up to the whole list without repeats.
    pages, cursor = [], None
    while True:
        page = (await client.get(f"/api/teams/{team_id}/audit", params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                                 headers=olga.headers)).json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(pages) > 2 and all(len(p) <= 2 for p in pages)
    assert [e["id"] for p in pages for e in p] == [e["id"] for e in everything]
    bad = await client.get(f"/api/teams/{team_id}/audit", params={"cursor": "nonsense"}, headers=olga.headers)
    assert bad.status_code == 400 and "first page" in bad.json()["detail"]


async def test_csv_export_has_the_filtered_events_and_defuses_formulas(client, register):
    olga = await register("olga@example.com")
    team_id = await _team(client, olga)
    await client.patch(f"/api/teams/{team_id}", json={"name": "=HYPERLINK(\"http://evil\")"}, headers=olga.headers)
    await client.patch(f"/api/teams/{team_id}", json={"name": "@SUM(A1)"}, headers=olga.headers)

    response = await client.get(f"/api/teams/{team_id}/audit.csv", params={"action": "team.renamed"}, headers=olga.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-')
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == ["team.renamed", "team.renamed"]
    assert [r["target_label"] for r in rows] == ["'@SUM(A1)", "'=HYPERLINK(\"http://evil\")"]
    assert rows[0]["actor_email"] == "olga@example.com" and rows[0]["ip"] == "127.0.0.1" and rows[0]["outcome"] == "success"

    everything = await client.get(f"/api/teams/{team_id}/audit.csv", headers=olga.headers)
    listed = await events(client, olga, team_id)
    assert len(list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))) == len(listed)


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("plain", "plain"), (None, ""),
])
def test_csv_cells_that_would_be_formulas_are_prefixed(value, expected):
    from tuneforge.audit.export import safe_cell

    assert safe_cell(value) == expected
