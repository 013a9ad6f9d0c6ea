"""Publishing's rules: what may be published where, handing it to a worker, the history, the files.

Nothing heavy runs here: a publication row is stored and "publish X" queued on the `publishing` queue
(same transaction); a worker (`tuneforge.worker.publisher`) merges, converts, uploads and verifies, and
writes progress and the result into the row. A Hugging Face token is decrypted only in that worker.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.audit import service as audit
from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.credentials import service as credentials
from tuneforge.credentials import team_service as team_credentials
from tuneforge.quotas import service as quotas
from tuneforge.credentials.models import CredentialSource, Provider
from tuneforge.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from tuneforge.jobs import queue
from tuneforge.publishing import repository
from tuneforge.publishing.models import Publication, PublicationStatus, PublicationTarget
from tuneforge.publishing.schemas import (
    GgufPublish, HubPublish, OllamaPublish, PublicationRead, PublishedFile, PublishingOptions,
)
from tuneforge.registry import repository as registry_repository
from tuneforge.registry.models import ModelVersion
from tuneforge.registry.service import files_missing
from tuneforge.storage import Storage
from tuneforge.worker_registry import service as workers_service

QUEUE = "publishing"
PUBLISH_TASK = "tuneforge.publish"
GGUF_TYPES = ("f32", "f16", "bf16", "q8_0", "tq1_0", "tq2_0")

NO_PUBLISHER = ("No worker is online to publish: start one with `tuneforge worker` (`make run` starts one), then "
                "publish again.")


def files_key(publication_id: uuid.UUID) -> str:
    return f"publications/{publication_id}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")[:60] or "model"


async def options(*, session: AsyncSession, settings: Settings, user: User, team_id: uuid.UUID | None = None) -> PublishingOptions:
    """What the publish dialog offers; with `team_id`, the team's token and Ollama server count too."""
    if team_id is None:
        token = await credentials.describe(session=session, user_id=user.id, provider=Provider.huggingface)
        configured, username, urls = token.configured, token.username, settings.ollama_urls
    else:
        found, _ = await team_credentials.which(session=session, user_id=user.id, team_id=team_id,
                                                provider=Provider.huggingface)
        configured, username = found is not None, found.username if found is not None else None
        default = await team_credentials.team_ollama_url(session=session, team_id=team_id)
        urls = [default, *[u for u in settings.ollama_urls if u != default]] if default in settings.ollama_urls else settings.ollama_urls
    return PublishingOptions(ollama_urls=urls, gguf_types=list(GGUF_TYPES), hub_token=configured,
                             hub_username=username, worker_note=await _worker_note(session=session, settings=settings))


async def _worker_note(*, session: AsyncSession, settings: Settings) -> str | None:
    live = await workers_service.list_live(session=session, heartbeat_seconds=settings.worker_heartbeat_seconds)
    if not any((w.capabilities or {}).get("publishing") for w in live):
        return NO_PUBLISHER
    return None


async def _model_name(session: AsyncSession, version: ModelVersion) -> str:
    names = await registry_repository.model_names(session=session, model_ids=[version.model_id])
    return names.get(version.model_id, "model")


async def create(
    *, session: AsyncSession, settings: Settings, storage: Storage, version: ModelVersion, user: User,
    body: HubPublish | OllamaPublish | GgufPublish,
) -> PublicationRead:
    if await asyncio.to_thread(files_missing, storage, version):
        raise Conflict("The files of this model version are missing or damaged, so there is nothing to publish. "
                       "Delete the version from its page, or publish another.")
    if (version.lineage.get("spec") or {}).get("method") == "reward":
        raise BadRequest("This version is a reward model (it scores answers); publishing is for models that write answers.")
    note = await _worker_note(session=session, settings=settings)
    if note:
        raise ServiceUnavailable(note)
    if not isinstance(body, HubPublish):  # GGUF files are kept in storage, and count toward the team's limit
        await quotas.precheck_storage(session=session, team_id=version.team_id, actor=user, declared=None,
                                      attempted=f"publication.{body.target}")
    name = await _model_name(session, version)
    opts = body.model_dump()
    credential = None
    if isinstance(body, HubPublish):
        # The member's own token, else the team's; decrypted only by the worker that uploads.
        token, source = await team_credentials.which(session=session, user_id=user.id, team_id=version.team_id,
                                                     provider=Provider.huggingface)
        if token is None:
            raise BadRequest("Publishing to the Hugging Face Hub needs a Hugging Face token with write access: add yours "
                             "in Settings (or ask an admin to set the team's on the Team page), then publish again.")
        repo = body.repo_id or f"{slug(name)}-v{version.number}"
        if "/" not in repo:
            if not token.username:
                whose = "Your saved" if source == CredentialSource.user else "The team's"
                raise BadRequest(f"{whose} Hugging Face token has not been checked yet, so its user is unknown: check it "
                                 "(Settings, or the Team page), or give the repository as owner/name.")
            repo = f"{token.username}/{repo}"
        if body.weights == "adapter" and not _is_adapter(storage, version):
            opts["weights"] = "merged"  # a full fine-tune has no adapter: its weights are the model
        opts["repo_id"] = repo
        credential = "yours" if source == CredentialSource.user else "team"
    elif isinstance(body, OllamaPublish):
        url = body.url or await team_credentials.team_ollama_url(session=session, team_id=version.team_id) \
            or settings.ollama_urls[0]
        if url not in settings.ollama_urls:
            raise BadRequest(f"TuneForge publishes only to the Ollama servers its administrator allowed: "
                             f"{', '.join(settings.ollama_urls)} (TUNEFORGE_OLLAMA_URLS).")
        opts["url"] = url
        opts["name"] = body.name or f"{slug(name)}:v{version.number}"
    else:
        opts["quant_types"] = list(dict.fromkeys(body.quant_types))
    publication = Publication(
        id=uuid.uuid4(), team_id=version.team_id, version_id=version.id, user_id=user.id,
        target=PublicationTarget(body.target), options=opts, status=PublicationStatus.queued,
        progress={"phase": "queued", "message": "waiting for a worker"}, result={}, credential=credential,
        cancel_requested=False,
    )
    session.add(publication)
    await session.flush()
    await _audit(session, publication, user, "publication.created", version=f"{name} v{version.number}",
                 credential=credential)
    await queue.defer_task(session=session, task=PUBLISH_TASK, queue=QUEUE, args={"publication_id": str(publication.id)},
                           lock=f"publication-{publication.id}")
    return await read(session=session, publication=publication)


def _is_adapter(storage: Storage, version: ModelVersion) -> bool:
    return (storage.path(version.output_key) / "adapter_config.json").is_file()


def _files(publication: Publication) -> list[PublishedFile]:
    return [
        PublishedFile(name=f["name"], quant_type=f.get("quant_type"), size_bytes=f["size_bytes"], sha256=f["sha256"],
                      download_url=f"/api/publications/{publication.id}/files/{f['name']}")
        for f in (publication.result or {}).get("files") or []
    ]


async def read(*, session: AsyncSession, publication: Publication) -> PublicationRead:
    result = publication.result or {}
    return PublicationRead(
        id=publication.id, version_id=publication.version_id, target=publication.target.value, options=publication.options,
        status=publication.status.value, progress=publication.progress or {}, link=result.get("link"),
        files=_files(publication), verification=result.get("verification"), merge_check=result.get("merge_check"),
        result=result, error=publication.error, credential=publication.credential,
        user_name=await registry_repository.user_name(session=session, user_id=publication.user_id),
        worker_name=publication.worker_name, created_at=publication.created_at, started_at=publication.started_at,
        finished_at=publication.finished_at,
    )


async def history(*, session: AsyncSession, version: ModelVersion) -> list[PublicationRead]:
    return [await read(session=session, publication=p) for p in await repository.of_version(session=session, version_id=version.id)]


async def _audit(session: AsyncSession, publication: Publication, actor: User | None, action: str, **detail) -> None:
    options = publication.options or {}
    where = options.get("repo_id") or options.get("name") or ", ".join(options.get("quant_types") or [])
    await audit.record(session, action=action, actor=actor, team_id=publication.team_id, target_type="publication",
                       target_id=publication.id, target_label=f"{publication.target.value}: {where}".rstrip(": "),
                       detail={"target": publication.target.value, "status": publication.status.value, **detail})


async def cancel(*, session: AsyncSession, publication: Publication, actor: User | None = None) -> PublicationRead:
    locked = await session.get(Publication, publication.id, with_for_update=True, populate_existing=True)
    if not locked.status.terminal:
        await _audit(session, locked, actor, "publication.cancelled")
        locked.cancel_requested = True
        if locked.status == PublicationStatus.queued:
            locked.status = PublicationStatus.cancelled
            locked.progress = {"phase": "cancelled", "message": "cancelled before it started"}
        await session.flush()
    return await read(session=session, publication=locked)


async def delete(*, session: AsyncSession, storage: Storage, publication: Publication, actor: User | None = None) -> None:
    """Removes the record and its files (GGUF). A model on the Hub or an Ollama server stays there."""
    if not publication.status.terminal:
        raise Conflict("This publication is still running: cancel it first, then delete it.")
    await _audit(session, publication, actor, "publication.deleted")
    await session.delete(publication)
    await session.flush()
    await asyncio.to_thread(storage.delete, files_key(publication.id))


def file_path(*, storage: Storage, publication: Publication, name: str) -> Path:
    known = {f["name"] for f in (publication.result or {}).get("files") or []}
    if name not in known:
        raise NotFound("This publication has no file of that name.")
    path = storage.path(f"{files_key(publication.id)}/{name}")
    if not path.is_file():
        raise NotFound("The file is gone from storage; publish again to make it anew.")
    return path
