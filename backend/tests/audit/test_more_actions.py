"""The rest of the listed actions: credentials, publications, model version deletion, team hand-over,
leaving and deletion (the team's events survive it), job retry."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tuneforge.audit.models import AuditEvent

from ..teams.test_members import _join, _team
from ..jobs.conftest import job_session, make_job  # noqa: F401 — fixtures
from .helpers import events, one

HF_TOKEN = "hf_validtoken1234567890"


async def test_credential_saves_and_deletes_are_account_events_without_the_secret(client, register, fake_hub):
    ada = await register("ada@example.com")
    saved = await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=ada.headers)
    assert saved.status_code == 200, saved.text
    assert (await client.delete("/api/credentials/huggingface", headers=ada.headers)).status_code == 204
    found = await events(client, ada)
    event = one(found, "credential.saved")
    assert (event["target_label"], event["team_id"], event["detail"]["last_four"]) == ("huggingface", None, "7890")
    assert one(found, "credential.deleted")["target_label"] == "huggingface"
    assert HF_TOKEN not in str(found)


async def _version(app, team_id: str):
    from tuneforge.registry.models import ModelVersion, RegisteredModel

    async with app.state.sessionmaker() as session:
        model = RegisteredModel(id=uuid.uuid4(), team_id=uuid.UUID(team_id), name="sums-bot")
        session.add(model)
        await session.flush()
        version = ModelVersion(id=uuid.uuid4(), model_id=model.id, team_id=model.team_id, number=1, output_key="jobs/x/output",
                               lineage={"base_model": {"reference": "tiny-llama", "kind": "bundled"}})
        session.add(version)
        await session.commit()
    return version


async def test_publications_cancelled_and_deleted_and_model_versions_deleted(client, register, app):
    from tuneforge.publishing.models import Publication, PublicationStatus, PublicationTarget

    ada = await register("ada@example.com")
    version = await _version(app, ada.team_id)
    async with app.state.sessionmaker() as session:
        publication = Publication(id=uuid.uuid4(), team_id=version.team_id, version_id=version.id,
                                  user_id=uuid.UUID(ada.tokens["user"]["id"]), target=PublicationTarget.gguf,
                                  options={"quant_types": ["q8_0"]}, status=PublicationStatus.queued, progress={}, result={})
        session.add(publication)
        await session.commit()
    assert (await client.post(f"/api/publications/{publication.id}/cancel", headers=ada.headers)).status_code == 200
    assert (await client.delete(f"/api/publications/{publication.id}", headers=ada.headers)).status_code == 204
    assert (await client.delete(f"/api/model-versions/{version.id}", headers=ada.headers)).status_code == 204

    found = await events(client, ada, ada.team_id)
    cancelled = one(found, "publication.cancelled")
    assert (cancelled["target_id"], cancelled["target_label"], cancelled["actor_email"]) == (
        str(publication.id), "gguf: q8_0", "ada@example.com")
    assert one(found, "publication.deleted")["target_id"] == str(publication.id)
    assert one(found, "model_version.deleted")["target_label"] == "sums-bot v1"


async def test_hand_over_leave_and_delete_a_team_whose_events_stay(client, register, app):
    olga = await register("olga@example.com")
    bob = await register("bob@example.com")
    team_id = await _team(client, olga, "Short-lived")
    await _join(client, olga, team_id, bob, "admin")
    handed = await client.post(f"/api/teams/{team_id}/hand-over", json={"user_id": bob.tokens["user"]["id"]}, headers=olga.headers)
    assert handed.status_code == 200, handed.text
    assert (await client.post(f"/api/teams/{team_id}/leave", headers=olga.headers)).status_code == 204
    found = await events(client, bob, team_id)
    assert one(found, "team.handed_over")["detail"] == {"new_owner": "bob@example.com"}
    assert one(found, "member.left")["actor_email"] == "olga@example.com"

    # Deleting the team keeps its events unchanged (team_id has no foreign key to rewrite it), and the
    # deletion itself is recorded; its author still finds it among their own events.
    deleted = await client.delete(f"/api/teams/{team_id}", headers=bob.headers)
    assert deleted.status_code == 204, deleted.text
    async with app.state.sessionmaker() as session:
        rows = list(await session.scalars(select(AuditEvent).where(AuditEvent.target_id == team_id)))
    assert {(r.action, str(r.team_id)) for r in rows} >= {("team.created", team_id), ("team.deleted", team_id)}
    assert one(await events(client, bob), "team.deleted")["target_label"] == "Short-lived"


async def test_a_retry_is_recorded_outside_a_request_too(make_job, job_session):
    from tuneforge.auth.models import User
    from tuneforge.jobs import service as jobs_service
    from tuneforge.jobs.models import JobStatus
    from tuneforge.storage import get_storage
    from tuneforge.teams.models import Membership

    job = await make_job(JobStatus.running, JobStatus.failed)
    owner = await job_session.scalar(select(User).join(Membership, Membership.user_id == User.id)
                                     .where(Membership.team_id == job.team_id))
    await jobs_service.retry_job(session=job_session, storage=get_storage(), job=job, user=owner)
    await job_session.flush()
    rows = list(await job_session.scalars(select(AuditEvent).where(AuditEvent.target_id == str(job.id))))
    # No request: no address, the rest as usual.
    assert [(r.action, r.actor_email, r.ip, r.team_id, r.outcome) for r in rows] == [
        ("job.retried", owner.email, None, job.team_id, "success")]
