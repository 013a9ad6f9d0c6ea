"""Whose Modal token pays (docs/security.md, "Who pays for a Modal run"): the person acting.

In-process API and an in-process worker (JobRunner) on the test's rolled-back transaction; the Modal SDK
adapter is swapped for LocalModalExecutor, which refuses any token but the one it expects.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from tuneforge.jobs import lifecycle
from tuneforge.jobs.models import Job, JobEvent, JobStatus
from tuneforge.jobs.resolve import output_key
from tuneforge.storage import get_storage
from tuneforge.teams.models import Membership, Role
from tuneforge.worker.modal_executor import LocalModalExecutor
from tuneforge.worker.supervisor import JobRunner

from .conftest import CHAT_ROWS
from .test_jobs_api import _job, _upload

ADA_TOKEN = {"token_id": "ak-ada0000aaaa", "token_secret": "as-ada-secret-1"}
BEA_TOKEN = {"token_id": "ak-bea0000bbbb", "token_secret": "as-bea-secret-2"}


async def _save_token(client, account, token: dict) -> None:
    response = await client.put("/api/credentials/modal", json=token, headers=account.headers)
    assert response.status_code == 200, response.text


async def _two_members(client, register, job_session):
    ada = await register(name="Ada")
    bea = await register(name="Bea")
    job_session.add(Membership(team_id=uuid.UUID(ada.team_id), user_id=uuid.UUID(bea.tokens["user"]["id"]), role=Role.member))
    await job_session.commit()
    return ada, bea


async def _stopped_modal_job(client, job_session, ada) -> dict:
    """Ada launches a Modal job; it ran, saved a checkpoint and failed."""
    version = await _upload(client, ada, "sums", CHAT_ROWS[:24])
    created = await client.post(
        f"/api/teams/{ada.team_id}/jobs", headers=ada.headers,
        json=_job(version, executor="modal", gpu_type="T4", hyperparameters={"max_steps": 2, "batch_size": 4},
                  data={"max_length": 64, "validation_split": 0.0}, eval={"enabled": False}),
    )
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["billed_user_id"] == ada.tokens["user"]["id"]
    assert job["billed_to"] == {"user_id": ada.tokens["user"]["id"], "name": "Ada", "token_hint": "ak-…aaaa"}
    assert "token_secret" not in created.text and ADA_TOKEN["token_secret"] not in created.text
    row = await job_session.get(Job, uuid.UUID(job["id"]))
    for status in (JobStatus.running, JobStatus.failed):
        await lifecycle.transition(session=job_session, job=row, to=status, message=f"now {status.value}")
    row.attempt = 1
    await job_session.commit()
    checkpoint = get_storage().path(output_key(row.id)) / "checkpoint-1"
    checkpoint.mkdir(parents=True, exist_ok=True)
    (checkpoint / "trainer_state.json").write_text("{}")  # complete: the Trainer writes it last
    return job


async def _status_events(job_session, job_id: str) -> list[dict]:
    rows = await job_session.scalars(
        select(JobEvent).where(JobEvent.job_id == uuid.UUID(job_id), JobEvent.type == "status").order_by(JobEvent.seq)
    )
    return [e.data for e in rows]


async def test_the_member_who_resumes_a_modal_job_pays_for_it(client, register, job_session, app):
    ada, bea = await _two_members(client, register, job_session)
    await _save_token(client, ada, ADA_TOKEN)
    job = await _stopped_modal_job(client, job_session, ada)

    # Bea has no Modal token: refused before anything changes (Ada is not billed instead).
    refused = await client.post(f"/api/jobs/{job['id']}/resume", headers=bea.headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["detail"].startswith("Add a Modal token in Settings")
    retry_refused = await client.post(f"/api/jobs/{job['id']}/retry", headers=bea.headers)
    assert retry_refused.status_code == 400 and retry_refused.json()["detail"].startswith("Add a Modal token in Settings")
    unchanged = (await client.get(f"/api/jobs/{job['id']}", headers=bea.headers)).json()
    assert unchanged["status"] == "failed" and unchanged["billed_user_id"] == ada.tokens["user"]["id"]
    assert unchanged["last_seq"] == 3 and get_storage().path(output_key(uuid.UUID(job["id"]))).joinpath("checkpoint-1").is_dir()

    # With her own token, Bea's resume is billed to her, and says so before and after.
    await _save_token(client, bea, BEA_TOKEN)
    resumed = await client.post(f"/api/jobs/{job['id']}/resume", headers=bea.headers)
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["billed_user_id"] == bea.tokens["user"]["id"]
    assert body["billed_to"] == {"user_id": bea.tokens["user"]["id"], "name": "Bea", "token_hint": "ak-…bbbb"}
    assert body["created_by"] == ada.tokens["user"]["id"]  # the creator stays who it was
    queued = (await _status_events(job_session, job["id"]))[-1]
    assert queued["status"] == "queued" and "billed to Bea's Modal token (ak-…bbbb)" in queued["message"]

    # The worker runs it on Bea's token (the stand-in refuses any other), and the attempt records it.
    modal = LocalModalExecutor(expected_token=BEA_TOKEN)
    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="w-billing",
                       modal_executor_factory=lambda: modal)
    await runner.run(uuid.UUID(job["id"]))
    assert [call["token_id"] for call in modal.calls] == [BEA_TOKEN["token_id"]]
    statuses = await _status_events(job_session, job["id"])
    started = next(e for e in statuses if e["status"] == "running" and e.get("attempt") == 2)
    assert started["billed_to"] == "Bea" and "billed to Bea's Modal token (ak-…bbbb)" in started["message"]
    done = (await client.get(f"/api/jobs/{job['id']}", headers=ada.headers)).json()
    assert done["status"] == "succeeded", done["message"]
    assert done["billed_to"]["name"] == "Bea" and done["cost_usd"] > 0


async def test_an_automatic_resume_never_bills_someone_else(client, register, job_session, app):
    ada, bea = await _two_members(client, register, job_session)
    await _save_token(client, ada, ADA_TOKEN)
    await _save_token(client, bea, BEA_TOKEN)
    job = await _stopped_modal_job(client, job_session, ada)
    assert (await client.post(f"/api/jobs/{job['id']}/resume", headers=bea.headers)).status_code == 200
    # Bea leaves the team while her resume waits (as after a worker loss, the job is run again as is).
    await job_session.execute(
        delete(Membership).where(Membership.team_id == uuid.UUID(ada.team_id), Membership.user_id == uuid.UUID(bea.tokens["user"]["id"]))
    )
    await job_session.commit()

    modal = LocalModalExecutor()  # would accept any token: it must not be called at all
    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="w-billing",
                       modal_executor_factory=lambda: modal)
    await runner.run(uuid.UUID(job["id"]))
    assert modal.calls == []
    failed = (await client.get(f"/api/jobs/{job['id']}", headers=ada.headers)).json()
    assert failed["status"] == "failed" and failed["error_kind"] == "billing"
    assert "billed to Bea" in failed["message"] and "no longer a member of this team" in failed["message"]
    assert "Retry or Resume" in failed["hint"]
    assert failed["billed_to"]["name"] == "Bea"  # still shown: nobody else was put in her place
