"""Which models a team may load in a job, and whether this one is such: the one allow-list for every
model reference of a job (`TrainingConfig.MODEL_REFERENCE_FIELDS`: base_model, grpo.reward_model, ...).

A model is one of: a bundled model (works offline); a Hugging Face Hub id (organisation/model-name,
downloaded by the worker); a folder under one of the directories the administrator registered
(TUNEFORGE_MODEL_DIRS); or a previous job's output — of the same team only — written
`storage:jobs/<id>/output` (its absolute path is accepted too, and stored in that form).
Anything else is refused with one message, whatever the field and whether or not the path exists:
a job must not read the server's files or another team's models, nor learn which exist.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import TypeVar

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.config import Settings
from tuneforge.errors import BadRequest
from tuneforge.jobs.models import Job
from tuneforge.jobs.resolve import STORAGE_PREFIX, VERSION_PREFIX
from tuneforge.storage import Storage
from tuneforge.training.catalogue import BUNDLED_MODEL_NAMES
from tuneforge.training.spec import TrainingConfig

ConfigT = TypeVar("ConfigT", bound=TrainingConfig)

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,95}$")
_MODEL_FILES = ("config.json", "adapter_config.json", "merged/config.json")


def is_hub_id(name: str) -> bool:
    return bool(HUB_ID.match(name)) and ".." not in name


def _holds_model(path: Path) -> bool:
    return any((path / f).is_file() for f in _MODEL_FILES)


def registered_folders(settings: Settings) -> list[dict[str, str]]:
    """Model folders offered in the wizard: each registered directory that holds a model, and its
    subfolders that do."""
    found: list[dict[str, str]] = []
    for root in settings.model_dirs:
        root = root.resolve()
        if not root.is_dir():
            continue
        candidates = [root] + sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        found += [{"name": p.name, "path": str(p)} for p in candidates if _holds_model(p)]
    return found


async def _job_of_path(*, session: AsyncSession, storage: Storage, path: Path) -> Job | None:
    """The job whose output folder holds `path` (storage/jobs/<id>/output/...)."""
    try:
        parts = path.relative_to(storage.root).parts
    except ValueError:
        return None
    if len(parts) < 3 or parts[0] != "jobs" or parts[2] != "output":
        return None
    try:
        job_id = uuid.UUID(parts[1])
    except ValueError:
        return None
    return (await session.execute(select(Job).where(Job.id == job_id))).scalar_one_or_none()


def loads_from_hub(reference: str) -> bool:
    """Whether the trainer downloads this model reference from the Hugging Face Hub."""
    return reference not in BUNDLED_MODEL_NAMES and is_hub_id(reference)


def needs_hub(config: TrainingConfig) -> bool:
    """Whether any model the job names comes from the Hub (then, and only then, its owner's HF token is passed)."""
    return any(loads_from_hub(value) for value in config.model_references().values())


def names_a_server_folder(reference: str) -> bool:
    """A folder on this server: an absolute path, a job output (`storage:...`) or a model version (`version:<id>`)."""
    return reference.startswith((STORAGE_PREFIX, VERSION_PREFIX)) or Path(reference).is_absolute()


def refused(field: str, value: str) -> BadRequest:
    """The one answer for a model reference outside the allow-list, whatever the field, and whether
    or not the path exists (so it tells nothing about the server's files or other teams' jobs)."""
    return BadRequest(
        f"{field} '{value[:100]}' is not a model this team may use. Use a bundled model "
        f"({' or '.join(BUNDLED_MODEL_NAMES)}), a Hugging Face id like organisation/model-name, a folder the "
        "wizard lists (an administrator registers them with TUNEFORGE_MODEL_DIRS), or one of your team's job "
        "outputs (storage:jobs/<job id>/output) or model versions (version:<id>)."
    )


def _server_path(value: str, storage: Storage) -> Path | None:
    if value.startswith(STORAGE_PREFIX):
        try:
            return storage.path(value.removeprefix(STORAGE_PREFIX))
        except ValueError:
            return None
    return Path(value).resolve()


async def check_model_reference(
    *, session: AsyncSession, settings: Settings, storage: Storage, cache_dir: Path, team_id: uuid.UUID, field: str,
    value: str, check_hub: bool,
) -> str:
    """Refuse a model (base model, reward model, ...) the team may not use, with what to pick instead.
    Returns the reference as it is stored: a job output, however written, as `storage:jobs/<id>/output...`."""
    if value in BUNDLED_MODEL_NAMES:
        return value
    if value.startswith(VERSION_PREFIX):
        # A model version of this team only; another team's (or none) gets the one refusal.
        from tuneforge.registry import service as registry_service

        folder = await registry_service.folder_of_reference(session=session, storage=storage, team_id=team_id, value=value)
        if folder is None:
            raise refused(field, value)
        if not _holds_model(folder):
            raise BadRequest(
                f"{field} '{value}': this model version's files are missing (its job's output is gone). Delete the "
                "version on the Models page and pick another."
            )
        return value
    if names_a_server_folder(value):
        path = _server_path(value, storage)
        if path is None:
            raise refused(field, value)
        roots = [root.resolve() for root in settings.model_dirs]
        in_registered = any(path == root or root in path.parents for root in roots)
        job = None if in_registered else await _job_of_path(session=session, storage=storage, path=path)
        if not in_registered and (job is None or job.team_id != team_id):
            raise refused(field, value)
        # Allowed from here on: a registered folder (listed to every user) or this team's own job.
        if not path.is_dir():
            raise BadRequest(f"{field} '{value}' does not exist on this server. Check the path, or pick a listed folder or a finished job.")
        if not _holds_model(path):
            raise BadRequest(
                f"{field} '{value}' holds no model (no config.json or adapter_config.json). Point at a Hugging Face "
                "model folder or a finished job's output."
            )
        # Stored as checked: the resolved folder (no symlink to re-point later), a job output by its storage key.
        return str(path) if in_registered else f"{STORAGE_PREFIX}{path.relative_to(storage.root).as_posix()}"
    if not is_hub_id(value):
        raise refused(field, value)
    if (cache_dir / value).is_dir() or not check_hub:
        return value  # downloaded before, or only estimating
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            await client.head(settings.hf_endpoint)
    except httpx.HTTPError:
        raise BadRequest(
            f"{field} '{value}' is neither a bundled model nor a folder here, and the Hugging Face Hub cannot be "
            f"reached to download it. Pick {' or '.join(BUNDLED_MODEL_NAMES)}, a local model folder, or a "
            "previous job's output."
        ) from None
    return value


async def check_model_references(
    *, session: AsyncSession, settings: Settings, storage: Storage, cache_dir: Path, team_id: uuid.UUID,
    config: ConfigT, check_hub: bool,
) -> ConfigT:
    """Every model reference of the configuration (`MODEL_REFERENCE_FIELDS`) through the one allow-list;
    the configuration with each as it is stored."""
    checked = {
        field: await check_model_reference(
            session=session, settings=settings, storage=storage, cache_dir=cache_dir, team_id=team_id, field=field,
            value=value, check_hub=check_hub,
        )
        for field, value in config.model_references().items()
    }
    return config.with_model_references(checked)
