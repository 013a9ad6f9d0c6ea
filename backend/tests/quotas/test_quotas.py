"""Team quotas through the API in-process (real PostgreSQL, rolled back per test): the meters, who may
change the limits, and each limit refusing a launch or an upload — naming the limit, the use and who can
raise it — before anything is queued or stored. The race test commits on its own connections."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from tests.jobs.conftest import CHAT_ROWS
from tuneforge.auth.models import User
from tuneforge.errors import QuotaExceeded
from tuneforge.jobs.models import Executor, Job, JobStatus
from tuneforge.quotas import service as quotas
from tuneforge.quotas.models import TeamQuota
from tuneforge.storage import get_storage
from tuneforge.teams.models import Membership, Role, Team

UNLIMITED = {"max_concurrent_jobs": None, "gpu_hours_per_month": None, "modal_usd_per_month": None, "storage_bytes": None}
MODAL_TOKEN = {"token_id": "ak-team0000cccc", "token_secret": "as-team-secret-3"}


async def _upload(client, account, name: str, rows: list[dict], team_id: str | None = None):
    content = "".join(json.dumps(r) + "\n" for r in rows).encode()
    return await client.post(
        f"/api/teams/{team_id or account.team_id}/datasets",
        files=[("files", (f"{name}.jsonl", content, "application/jsonl"))], data={"name": name}, headers=account.headers,
    )


def _job(version: str, **extra) -> dict:
    return {"method": "sft", "adapter": "lora", "base_model": "tiny-llama", "dataset_version_id": version,
            "hyperparameters": {"max_steps": 5}, **extra}


async def _set(client, account, **limits):
    response = await client.put(f"/api/teams/{account.team_id}/quotas", json={**UNLIMITED, **limits}, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _meters(body: dict) -> dict[str, dict]:
    return {m["name"]: m for m in body["meters"]}


async def _join(app, team_id: str, account, role: Role) -> None:
    async with app.state.sessionmaker() as session:
        session.add(Membership(team_id=uuid.UUID(team_id), user_id=uuid.UUID(account.tokens["user"]["id"]), role=role))
        await session.commit()


async def _audit(app, action: str) -> list[dict]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(text("SELECT detail, outcome FROM audit_event WHERE action = :a ORDER BY created_at"),
                                     {"a": action})
        return [{"detail": d, "outcome": o} for d, o in rows]


async def test_without_limits_everything_is_unlimited_and_the_meters_show_use(client, register):
    ana = await register(email="ana@example.com", name="Ana")
    assert (await _upload(client, ana, "sums", CHAT_ROWS)).status_code == 201
    body = (await client.get(f"/api/teams/{ana.team_id}/quotas", headers=ana.headers)).json()
    meters = _meters(body)
    assert all(m["limit"] is None and m["percent"] is None for m in meters.values())
    assert meters["storage_bytes"]["used"] > 0  # the dataset version's canonical rows
    assert meters["max_concurrent_jobs"]["used"] == 0
    assert body["who_can_raise"] == [{"name": "Ana", "email": "ana@example.com", "role": "owner"}]
    assert body["can_edit"] is True


async def test_only_admins_change_limits_viewers_read_them_and_other_teams_see_nothing(client, register, app):
    ana = await register(email="ana@example.com", name="Ana")
    bo = await register(email="bo@example.com", name="Bo")
    cy = await register(email="cy@example.com", name="Cy")
    await _join(app, ana.team_id, bo, Role.member)
    refused = await client.put(f"/api/teams/{ana.team_id}/quotas", json=UNLIMITED, headers=bo.headers)
    assert refused.status_code == 403
    stranger = await client.put(f"/api/teams/{ana.team_id}/quotas", json=UNLIMITED, headers=cy.headers)
    assert stranger.status_code == 404
    assert (await client.get(f"/api/teams/{ana.team_id}/quotas", headers=cy.headers)).status_code == 404

    body = await _set(client, ana, max_concurrent_jobs=2, storage_bytes=1 << 30)
    assert _meters(body)["max_concurrent_jobs"]["limit"] == 2
    seen = (await client.get(f"/api/teams/{ana.team_id}/quotas", headers=bo.headers)).json()
    assert _meters(seen)["storage_bytes"]["limit"] == 1 << 30 and seen["can_edit"] is False
    assert seen["updated_by_name"] == "Ana"
    changed = await _audit(app, "quota.changed")
    assert changed[-1]["detail"]["changes"]["max_concurrent_jobs"] == {"old": None, "new": 2}


async def test_a_launch_past_the_concurrent_jobs_limit_is_refused_and_nothing_is_queued(client, register, app):
    ana = await register(email="ana@example.com", name="Ana")
    bo = await register(email="bo@example.com", name="Bo")
    await _join(app, ana.team_id, bo, Role.admin)
    version = (await _upload(client, ana, "sums", CHAT_ROWS)).json()["version"]["id"]
    await _set(client, ana, max_concurrent_jobs=1)
    first = await client.post(f"/api/teams/{ana.team_id}/jobs", json=_job(version), headers=ana.headers)
    assert first.status_code == 201, first.text

    second = await client.post(f"/api/teams/{ana.team_id}/jobs", json=_job(version), headers=ana.headers)
    assert second.status_code == 409
    assert second.json()["code"] == "quota_exceeded"
    assert second.json()["detail"] == (
        "This team runs 1 of its 1 concurrent jobs. Wait for one to finish, or ask an admin or owner "
        "(ana@example.com, bo@example.com) to raise the limit on the Team page."
    )
    listed = (await client.get(f"/api/teams/{ana.team_id}/jobs", headers=ana.headers)).json()
    assert listed["total"] == 1
    refusals = await _audit(app, "quota.refused")
    assert refusals[-1]["outcome"] == "refused"
    assert refusals[-1]["detail"]["limit"] == "max_concurrent_jobs" and refusals[-1]["detail"]["used"] == 1

    # Once the first stops, a retry of it counts against the same limit as a launch.
    await client.post(f"/api/jobs/{first.json()['id']}/cancel", headers=ana.headers)
    assert (await client.post(f"/api/teams/{ana.team_id}/jobs", json=_job(version), headers=ana.headers)).status_code == 201
    retried = await client.post(f"/api/jobs/{first.json()['id']}/retry", headers=ana.headers)
    assert retried.status_code == 409 and retried.json()["code"] == "quota_exceeded"
    assert (await client.get(f"/api/jobs/{first.json()['id']}", headers=ana.headers)).json()["status"] == "cancelled"


async def _past_job(app, team_id: str, **columns) -> None:
    """A job of this month that ran (started and finished) with the given GPU time or bill."""
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session:
        session.add(Job(team_id=uuid.UUID(team_id), name="earlier", status=JobStatus.succeeded, method="sft", adapter="lora",
                        base_model="tiny-llama", config={}, estimate={}, result={}, latest_metrics={},
                        started_at=now, finished_at=now, **columns))
        await session.commit()


async def test_gpu_hours_of_the_month_refuse_further_launches(client, register, app):
    ana = await register(email="ana@example.com", name="Ana")
    version = (await _upload(client, ana, "sums", CHAT_ROWS)).json()["version"]["id"]
    await _past_job(app, ana.team_id, executor=Executor.local, gpu_seconds=2 * 3600.0)
    body = await _set(client, ana, gpu_hours_per_month=2)
    assert _meters(body)["gpu_hours_per_month"]["used"] == 2.0 and _meters(body)["gpu_hours_per_month"]["percent"] == 100.0
    refused = await client.post(f"/api/teams/{ana.team_id}/jobs", json=_job(version), headers=ana.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "quota_exceeded"
    assert refused.json()["detail"].startswith("This team has used 2.0 of its 2.0 GPU-hours this month")
    assert "ana@example.com" in refused.json()["detail"]
    await _set(client, ana)  # limits off: unlimited again
    assert (await client.post(f"/api/teams/{ana.team_id}/jobs", json=_job(version), headers=ana.headers)).status_code == 201


async def test_the_modal_budget_refuses_modal_launches_saying_what_the_job_would_add(client, register, app):
    ana = await register(email="ana@example.com", name="Ana")
    version = (await _upload(client, ana, "sums", CHAT_ROWS)).json()["version"]["id"]
    saved = await client.put(f"/api/teams/{ana.team_id}/credentials/modal", json=MODAL_TOKEN, headers=ana.headers)
    assert saved.status_code == 200, saved.text
    await _past_job(app, ana.team_id, executor=Executor.modal, gpu_type="T4", cost_usd=1.5, gpu_seconds=60.0)
    await _set(client, ana, modal_usd_per_month=1)
    modal = _job(version, executor="modal", gpu_type="T4")
    refused = await client.post(f"/api/teams/{ana.team_id}/jobs", json=modal, headers=ana.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "quota_exceeded"
    detail = refused.json()["detail"]
    assert detail.startswith("This team has spent $1.50 of its $1.00 Modal budget this month. This job's estimate would add about $")
    assert "Run it locally" in detail and "ana@example.com" in detail
    # The budget is Modal's: local jobs still run.
    assert (await client.post(f"/api/teams/{ana.team_id}/jobs", json=_job(version), headers=ana.headers)).status_code == 201


def _stored_files() -> set[str]:
    root = get_storage().path("datasets")
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def test_an_upload_past_the_storage_limit_is_refused_and_nothing_is_stored(client, register, app):
    ana = await register(email="ana@example.com", name="Ana")
    first = await _upload(client, ana, "sums", CHAT_ROWS[:8])
    assert first.status_code == 201
    used = _meters((await client.get(f"/api/teams/{ana.team_id}/quotas", headers=ana.headers)).json())["storage_bytes"]["used"]
    before = _stored_files()

    # Declared size alone passes the limit: refused before the body is read.
    await _set(client, ana, storage_bytes=used + 100)
    refused = await _upload(client, ana, "more", CHAT_ROWS)
    assert refused.status_code == 409 and refused.json()["code"] == "quota_exceeded"
    assert refused.json()["detail"].startswith(f"This team stores {quotas.human_bytes(used)} of its ")
    assert "nothing was stored" in refused.json()["detail"] and "ana@example.com" in refused.json()["detail"]
    assert _stored_files() == before
    names = [d["name"] for d in (await client.get(f"/api/teams/{ana.team_id}/datasets", headers=ana.headers)).json()]
    assert names == ["sums"]

    # Below the limit the upload goes through; the meter counts it.
    await _set(client, ana, storage_bytes=used * 100)
    assert (await _upload(client, ana, "more", CHAT_ROWS)).status_code == 201


async def test_a_new_version_made_on_the_server_is_refused_when_its_files_would_pass_the_limit(client, register, app):
    """No body to measure (drop-invalid): the check runs on the written files, which are then deleted."""
    ana = await register(email="ana@example.com", name="Ana")
    rows = CHAT_ROWS[:10] + [{"messages": [{"role": "user", "content": "no answer"}]}]
    created = (await _upload(client, ana, "mixed", rows)).json()
    used = _meters((await client.get(f"/api/teams/{ana.team_id}/quotas", headers=ana.headers)).json())["storage_bytes"]["used"]
    await _set(client, ana, storage_bytes=used)
    before = _stored_files()
    dataset, version = created["dataset"]["id"], created["version"]["id"]
    refused = await client.post(f"/api/teams/{ana.team_id}/datasets/{dataset}/versions/{version}/drop-invalid",
                                json={}, headers=ana.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "quota_exceeded"
    assert _stored_files() == before
    versions = (await client.get(f"/api/teams/{ana.team_id}/datasets/{dataset}/versions", headers=ana.headers)).json()
    assert len(versions) == 1


async def test_two_launches_at_once_against_a_limit_of_one_let_exactly_one_through(engine):
    """Each launch checks under the team's quota lock and queues in the same transaction: the second waits
    for the first to commit, then sees its job."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        user = User(email=f"race-{uuid.uuid4().hex[:8]}@example.com", display_name="Race", password_hash="x")
        team = Team(name="race", slug=f"race-{uuid.uuid4().hex[:8]}")
        session.add_all([user, team])
        await session.flush()
        session.add_all([Membership(team_id=team.id, user_id=user.id, role=Role.owner),
                         TeamQuota(team_id=team.id, max_concurrent_jobs=1, updated_at=datetime.now(UTC))])
        await session.commit()
    try:
        async def launch() -> str:
            async with sessions() as s:
                try:
                    await quotas.check_launch(session=s, team_id=team.id, actor=user, executor=Executor.local)
                except QuotaExceeded:
                    return "refused"
                await asyncio.sleep(0.3)  # the other launch arrives meanwhile
                s.add(Job(team_id=team.id, name="racer", status=JobStatus.queued, method="sft", adapter="lora",
                          base_model="tiny-llama", config={}, executor=Executor.local))
                await s.commit()
                return "queued"

        assert sorted(await asyncio.gather(launch(), launch())) == ["queued", "refused"]
        async with sessions() as s:
            assert len((await s.scalars(select(Job).where(Job.team_id == team.id))).all()) == 1
    finally:
        async with sessions() as s:
            await s.execute(delete(Team).where(Team.id == team.id))
            await s.execute(delete(User).where(User.id == user.id))
            await s.commit()
