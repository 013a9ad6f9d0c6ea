"""Import a dataset from the Hugging Face Hub: resolve the revision, pick the config's split files
(tuneforge.huggingface.datasets), stream them into storage under the upload size cap, then read them
through the same ingest path as an upload. The version's options record
`source: {hub_id, revision (commit sha), config, split}`."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.credentials import team_service as team_credentials
from tuneforge.quotas import service as quotas
from tuneforge.credentials.models import Provider
from tuneforge.datasets import repository
from tuneforge.datasets import service as datasets
from tuneforge.datasets.models import Dataset, DatasetVersion, Operation
from tuneforge.datasets.schemas import HubImportIn, IngestOptionsIn, UploadResult
from tuneforge.datasets.sniff import HEAD_BYTES, refusal
from tuneforge.datasets.upload import ReceivedFile, human_size
from tuneforge.errors import BadRequest, Conflict, InsufficientStorage, PayloadTooLarge
from tuneforge.huggingface import datasets as hub
from tuneforge.storage import Storage, disk_full


async def _fetch(*, storage: Storage, endpoint: str, found: hub.HubDataset, paths: list[str], token: str | None,
                 prefix: str, max_bytes: int) -> list[ReceivedFile]:
    """Downloads `paths` into storage, streamed; over `max_bytes` in all (or any failure) nothing is kept."""
    received: list[ReceivedFile] = []
    total = 0
    try:
        for path in paths:
            record = ReceivedFile(path.rsplit("/", 1)[-1], f"{prefix}/{uuid.uuid4().hex}", 0, "")
            hasher, head = hashlib.sha256(), b""
            async with hub.download(endpoint=endpoint, hub_id=found.hub_id, sha=found.sha, path=path, token=token) as chunks:
                with storage.open_write(record.key) as handle:
                    async for chunk in chunks:
                        total += len(chunk)
                        if total > max_bytes:
                            raise PayloadTooLarge(
                                f"The dataset's files are larger than the {human_size(max_bytes)} upload limit, so "
                                "nothing was kept. Set a config and split, or ask an admin to raise "
                                "TUNEFORGE_DATASET_MAX_UPLOAD_BYTES.")
                        if len(head) < HEAD_BYTES:
                            head += chunk[: HEAD_BYTES - len(head)]
                        handle.write(chunk)
                        hasher.update(chunk)
                        record.size += len(chunk)
            reason = refusal(record.name, head)
            received.append(record)
            if reason is not None:
                raise BadRequest(reason)
            record.sha256 = hasher.hexdigest()
    except BaseException as exc:
        for record in received:
            storage.delete(record.key)
        if disk_full(exc):
            raise InsufficientStorage() from None
        raise
    return received


async def import_from_hub(
    *, session: AsyncSession, storage: Storage, settings: Settings, team_id: uuid.UUID, user: User, body: HubImportIn,
) -> UploadResult:
    if body.dataset_id is not None:
        dataset = await repository.get_in_team(session=session, team_id=team_id, dataset_id=body.dataset_id)
        new = False
    else:
        name = (body.name or body.hub_id).strip()[:200]
        if await session.scalar(select(Dataset.id).where(Dataset.team_id == team_id, Dataset.name == name)):
            raise Conflict(f"A dataset named {name!r} already exists in this team. Import into it as a new version, "
                           "or pick another name.")
        dataset = Dataset(id=uuid.uuid4(), team_id=team_id, name=name, description=f"From the Hugging Face Hub: {body.hub_id}",
                          created_by=user.id)
        new = True
    latest = None if new else await session.scalar(
        select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id).order_by(DatasetVersion.number.desc()).limit(1))
    # The member's own Hugging Face token, else the team's (gated and private datasets).
    secret, _ = await team_credentials.resolve_secret(session=session, settings=settings, user_id=user.id, team_id=team_id,
                                                      provider=Provider.huggingface)
    token = secret["token"] if secret else None
    await quotas.precheck_storage(session=session, team_id=team_id, actor=user, declared=None, attempted="dataset.hub_import")
    await datasets.release_connection(session)  # downloading may take minutes

    found = await hub.resolve(endpoint=settings.hf_endpoint, hub_id=body.hub_id, revision=body.revision, token=token)
    paths = hub.pick_files(found.files, config=body.config, split=body.split)
    files = await _fetch(storage=storage, endpoint=settings.hf_endpoint, found=found, paths=paths, token=token,
                         prefix=f"datasets/{dataset.id}/uploads", max_bytes=datasets.max_upload_bytes(settings))
    keys = [f.key for f in files]
    source = {"hub_id": body.hub_id, "revision": found.sha, "config": body.config, "split": body.split or "train",
              "requested_revision": body.revision, "files": paths}
    options = {**IngestOptionsIn(base_model=body.base_model, row_limit=body.row_limit).model_dump(), "source": source}
    limit = f", first {body.row_limit:,} rows" if body.row_limit else ""
    change = f"Imported {body.hub_id}@{found.sha[:10]} from the Hugging Face Hub ({len(paths)} files{limit})"
    try:
        version, created = await datasets._version_from_upload(
            session=session, storage=storage, dataset=dataset, user=user,
            sources=[{**f.to_dict(), "name": p} for f, p in zip(files, paths)], mapping=None, options=options,
            notes="", operation=Operation.upload, parent=latest, change=change, new=new,
        )
        if not created:
            datasets._discard(storage, keys)  # the existing version keeps its own copy
    except BaseException:
        datasets._discard(storage, keys)
        raise
    await datasets.audit_upload(session=session, user=user, dataset=dataset, version=version, created=created, new=new,
                                files=paths, source=f"hub:{body.hub_id}@{found.sha[:10]}")
    return await datasets._result(session, dataset.id, version, created)
