"""Team credentials in-process (real PostgreSQL, rolled back per test): admins set the team's Hugging Face
and Modal tokens and its Ollama server, everyone in the team sees what is set (never a secret), and a
member's work uses their own token, else the team's, recording which."""

from __future__ import annotations

import json
import logging
import uuid

from sqlalchemy import select, text

from tests.jobs.conftest import CHAT_ROWS
from tuneforge.credentials import team_service
from tuneforge.credentials.models import CredentialSource, Provider
from tuneforge.teams.models import Membership, Role

from .test_quotas import _job, _join, _upload

HF_TOKEN = "hf_validtoken1234567890"  # the token fake_hub knows (user "alice")
OWN_HF_TOKEN = "hf_owntoken00000000abcd"
TEAM_MODAL = {"token_id": "ak-team0000cccc", "token_secret": "as-team-secret-3"}
OWN_MODAL = {"token_id": "ak-bo00000dddd", "token_secret": "as-bo-secret-4"}


async def test_admins_set_team_tokens_and_members_see_what_is_set_never_the_secret(client, register, app, fake_hub, caplog):
    caplog.set_level(logging.DEBUG)
    ana = await register(email="ana@example.com", name="Ana")
    bo = await register(email="bo@example.com", name="Bo")
    cy = await register(email="cy@example.com", name="Cy")
    await _join(app, ana.team_id, bo, Role.member)
    url = f"/api/teams/{ana.team_id}/credentials"

    saved = await client.put(f"{url}/huggingface", json={"token": HF_TOKEN}, headers=ana.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["last4"] == "7890" and saved.json()["saved_by_name"] == "Ana" and saved.json()["status"] == "valid"
    seen = await client.get(url, headers=bo.headers)
    assert seen.status_code == 200
    by_provider = {c["provider"]: c for c in seen.json()["credentials"]}
    assert by_provider["huggingface"]["configured"] is True and by_provider["huggingface"]["saved_by_name"] == "Ana"
    assert by_provider["modal"]["configured"] is False
    assert seen.json()["ollama"]["url"] is None

    assert (await client.put(f"{url}/huggingface", json={"token": HF_TOKEN}, headers=bo.headers)).status_code == 403
    assert (await client.delete(f"{url}/huggingface", headers=bo.headers)).status_code == 403
    assert (await client.get(url, headers=cy.headers)).status_code == 404
    assert (await client.put(f"{url}/modal", json=TEAM_MODAL, headers=cy.headers)).status_code == 404

    assert (await client.delete(f"{url}/huggingface", headers=ana.headers)).status_code == 204
    gone = {c["provider"]: c for c in (await client.get(url, headers=bo.headers)).json()["credentials"]}
    assert gone["huggingface"]["configured"] is False
    assert (await client.delete(f"{url}/huggingface", headers=ana.headers)).status_code == 204  # idempotent

    async with app.state.sessionmaker() as session:
        events = (await session.execute(text(
            "SELECT action, detail::text FROM audit_event WHERE action LIKE 'team_credential.%' ORDER BY created_at"))).all()
    assert [action for action, _ in events] == ["team_credential.saved", "team_credential.removed"]
    for text_ in (saved.text, seen.text, caplog.text, *(detail for _, detail in events)):
        assert HF_TOKEN not in text_


async def test_the_team_ollama_server_must_be_one_the_administrator_allowed(client, register, app, settings):
    ana = await register(email="ana@example.com", name="Ana")
    bo = await register(email="bo@example.com", name="Bo")
    await _join(app, ana.team_id, bo, Role.member)
    url = f"/api/teams/{ana.team_id}/ollama-url"
    refused = await client.put(url, json={"url": "http://169.254.169.254:80"}, headers=ana.headers)
    assert refused.status_code == 400 and "TUNEFORGE_OLLAMA_URLS" in refused.json()["detail"]
    allowed = settings.ollama_urls[0]
    assert (await client.put(url, json={"url": allowed}, headers=bo.headers)).status_code == 403
    saved = await client.put(url, json={"url": allowed}, headers=ana.headers)
    assert saved.status_code == 200 and saved.json() == {**saved.json(), "url": allowed, "set_by_name": "Ana"}
    shown = (await client.get(f"/api/teams/{ana.team_id}/credentials", headers=bo.headers)).json()
    assert shown["ollama"]["url"] == allowed
    assert (await client.delete(url, headers=ana.headers)).status_code == 204


async def test_a_modal_launch_runs_on_the_members_own_token_else_the_teams_and_says_which(client, register, app):
    ana = await register(email="ana@example.com", name="Ana")
    bo = await register(email="bo@example.com", name="Bo")
    await _join(app, ana.team_id, bo, Role.member)
    version = (await _upload(client, ana, "sums", CHAT_ROWS)).json()["version"]["id"]
    modal = _job(version, executor="modal", gpu_type="T4")

    none = await client.post(f"/api/teams/{ana.team_id}/jobs", json=modal, headers=bo.headers)
    assert none.status_code == 400 and "the team's on the Team page" in none.json()["detail"]

    assert (await client.put(f"/api/teams/{ana.team_id}/credentials/modal", json=TEAM_MODAL, headers=ana.headers)).status_code == 200
    on_team = await client.post(f"/api/teams/{ana.team_id}/jobs", json=modal, headers=bo.headers)
    assert on_team.status_code == 201, on_team.text
    assert on_team.json()["credential_sources"] == {"modal": "team"}
    assert on_team.json()["billed_to"]["token_hint"] == "ak-…cccc, the team's"
    assert TEAM_MODAL["token_secret"] not in on_team.text

    assert (await client.put("/api/credentials/modal", json=OWN_MODAL, headers=bo.headers)).status_code == 200
    own = await client.post(f"/api/teams/{ana.team_id}/jobs", json=modal, headers=bo.headers)
    assert own.status_code == 201, own.text
    assert own.json()["credential_sources"] == {"modal": "user"} and own.json()["billed_to"]["token_hint"] == "ak-…dddd"


async def test_the_members_own_hugging_face_token_wins_over_the_teams(client, register, app, fake_hub, settings):
    ana = await register(email="ana@example.com", name="Ana")
    bo = await register(email="bo@example.com", name="Bo")
    await _join(app, ana.team_id, bo, Role.member)
    team_id, bo_id = uuid.UUID(ana.team_id), uuid.UUID(bo.tokens["user"]["id"])

    async def resolved():
        async with app.state.sessionmaker() as session:
            return await team_service.resolve_secret(session=session, settings=settings, user_id=bo_id, team_id=team_id,
                                                     provider=Provider.huggingface)

    assert await resolved() == (None, None)
    await client.put(f"/api/teams/{ana.team_id}/credentials/huggingface", json={"token": HF_TOKEN}, headers=ana.headers)
    assert await resolved() == ({"token": HF_TOKEN}, CredentialSource.team)
    await client.put("/api/credentials/huggingface", json={"token": OWN_HF_TOKEN}, headers=bo.headers)
    assert await resolved() == ({"token": OWN_HF_TOKEN}, CredentialSource.user)
    # Another team's token is never anyone else's fallback.
    cy = await register(email="cy@example.com", name="Cy")
    async with app.state.sessionmaker() as session:
        other = await team_service.resolve_secret(session=session, settings=settings, user_id=uuid.UUID(cy.tokens["user"]["id"]),
                                                  team_id=uuid.UUID(cy.team_id), provider=Provider.huggingface)
    assert other == (None, None)


async def test_key_rotation_re_encrypts_team_tokens_too(client, register, app, settings, fake_hub):
    from cryptography.fernet import Fernet

    from tuneforge.credentials import service

    ana = await register(email="ana@example.com", name="Ana")
    await client.put(f"/api/teams/{ana.team_id}/credentials/huggingface", json={"token": HF_TOKEN}, headers=ana.headers)
    previous = settings.encryption_keys
    settings.encryption_keys = [Fernet.generate_key().decode(), *previous]
    try:
        async with app.state.sessionmaker() as session:
            assert await service.rotate_keys(session=session, settings=settings) >= 1
            await session.commit()
        settings.encryption_keys = settings.encryption_keys[:1]  # the old key is gone: the team token still reads
        async with app.state.sessionmaker() as session:
            secret, source = await team_service.resolve_secret(session=session, settings=settings, user_id=None,
                                                               team_id=uuid.UUID(ana.team_id), provider=Provider.huggingface)
        assert secret == {"token": HF_TOKEN} and source == CredentialSource.team
    finally:
        settings.encryption_keys = previous


async def test_the_publish_dialog_offers_the_hub_with_the_teams_token_and_the_teams_ollama_server_first(
    client, register, app, fake_hub, settings
):
    ana = await register(email="ana@example.com", name="Ana")
    bo = await register(email="bo@example.com", name="Bo")
    cy = await register(email="cy@example.com", name="Cy")
    await _join(app, ana.team_id, bo, Role.member)
    options = "/api/publishing/options"
    before = (await client.get(options, params={"team_id": ana.team_id}, headers=bo.headers)).json()
    assert before["hub_token"] is False

    previous = settings.ollama_urls
    settings.ollama_urls = ["http://localhost:11434", "http://ollama.lab:11434"]
    try:
        await client.put(f"/api/teams/{ana.team_id}/credentials/huggingface", json={"token": HF_TOKEN}, headers=ana.headers)
        await client.put(f"/api/teams/{ana.team_id}/ollama-url", json={"url": "http://ollama.lab:11434"}, headers=ana.headers)
        after = (await client.get(options, params={"team_id": ana.team_id}, headers=bo.headers)).json()
        assert after["hub_token"] is True and after["hub_username"] == "alice"
        assert after["ollama_urls"] == ["http://ollama.lab:11434", "http://localhost:11434"]
        assert HF_TOKEN not in json.dumps(after)
        # Without the team, or for someone outside it, the team's token is not offered.
        assert (await client.get(options, headers=bo.headers)).json()["hub_token"] is False
        assert (await client.get(options, params={"team_id": ana.team_id}, headers=cy.headers)).status_code == 404
    finally:
        settings.ollama_urls = previous


async def test_the_worker_gives_the_trainer_the_teams_hub_token_when_the_creator_has_none_and_records_it(
    client, register, app, fake_hub
):
    """supervisor.JobRunner._trainer_secrets: HF_TOKEN only for Hub models; the creator's own, else the team's."""
    from tuneforge.jobs.models import Executor, Job, JobStatus
    from tuneforge.storage import get_storage
    from tuneforge.training.spec import TrainingConfig
    from tuneforge.worker.supervisor import JobRunner

    ana = await register(email="ana@example.com", name="Ana")
    bo = await register(email="bo@example.com", name="Bo")
    await _join(app, ana.team_id, bo, Role.member)
    await client.put(f"/api/teams/{ana.team_id}/credentials/huggingface", json={"token": HF_TOKEN}, headers=ana.headers)
    async with app.state.sessionmaker() as session:
        job = Job(team_id=uuid.UUID(ana.team_id), created_by=uuid.UUID(bo.tokens["user"]["id"]), name="hub job",
                  status=JobStatus.queued, method="sft", adapter="lora", base_model="someorg/some-model", config={},
                  executor=Executor.local)
        session.add(job)
        await session.commit()
    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="w-secrets")

    bundled = TrainingConfig(method="sft", adapter="lora", base_model="tiny-llama")
    assert await runner._trainer_secrets(job, bundled) == {}  # no Hub model: no token at all
    from_hub = TrainingConfig(method="sft", adapter="lora", base_model="someorg/some-model")
    assert await runner._trainer_secrets(job, from_hub) == {"HF_TOKEN": HF_TOKEN}
    assert await _sources(app, job.id) == {"huggingface": "team"}

    await client.put("/api/credentials/huggingface", json={"token": OWN_HF_TOKEN}, headers=bo.headers)
    assert await runner._trainer_secrets(job, from_hub) == {"HF_TOKEN": OWN_HF_TOKEN}
    assert await _sources(app, job.id) == {"huggingface": "user"}


async def _sources(app, job_id) -> dict:
    """The job's recorded credential sources, as JobRead shows them (`credential_sources`)."""
    from tuneforge.jobs.models import Job

    async with app.state.sessionmaker() as session:
        return await session.scalar(select(Job.credential_sources).where(Job.id == job_id))
