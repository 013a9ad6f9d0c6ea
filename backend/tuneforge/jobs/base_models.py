"""Which base models a team may start a job from, and whether this one is such.

A base model is one of: a bundled model (works offline); a Hugging Face Hub id
(organisation/model-name, downloaded by the worker); a folder under one of the directories the
administrator registered (TUNEFORGE_MODEL_DIRS); or a previous job's output — of the same team only.
Any other path is refused without saying whether it exists: a job must not read the server's files
or another team's models.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.config import Settings
from tuneforge.errors import BadRequest
from tuneforge.jobs.models import Job
from tuneforge.storage import Storage
from tuneforge.training.catalogue import BUNDLED_MODEL_NAMES

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


async def check_base_model(
    *, session: AsyncSession, settings: Settings, storage: Storage, cache_dir: Path, team_id: uuid.UUID, base_model: str,
    check_hub: bool,
) -> None:
    """Refuse a base model the team may not use, with what to pick instead."""
    if base_model in BUNDLED_MODEL_NAMES:
        return
    if base_model.startswith("/"):
        path = Path(base_model).resolve()
        roots = [root.resolve() for root in settings.model_dirs]
        in_registered = any(path == root or root in path.parents for root in roots)
        job = None if in_registered else await _job_of_path(session=session, storage=storage, path=path)
        if not in_registered and (job is None or job.team_id != team_id):
            raise BadRequest(
                f"'{base_model}' is not in a registered model folder. Pick one of the folders the wizard lists or one "
                "of your team's previous jobs, or ask an administrator to add its parent folder to TUNEFORGE_MODEL_DIRS."
            )
        if not path.is_dir():
            raise BadRequest(f"'{base_model}' does not exist on this server. Check the path, or pick a listed folder.")
        if not _holds_model(path):
            raise BadRequest(
                f"'{base_model}' holds no model (no config.json or adapter_config.json). Point at a Hugging Face model "
                "folder or a finished job's output."
            )
        return
    if not is_hub_id(base_model):
        raise BadRequest(
            f"'{base_model[:100]}' is not a base model TuneForge knows. Use a bundled model "
            f"({' or '.join(BUNDLED_MODEL_NAMES)}), a Hugging Face id like organisation/model-name, or an absolute "
            "folder path."
        )
    if (cache_dir / base_model).is_dir() or not check_hub:
        return  # downloaded before, or only estimating
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            await client.head(settings.hf_endpoint)
    except httpx.HTTPError:
        raise BadRequest(
            f"'{base_model}' is neither a bundled model nor a folder here, and the Hugging Face Hub cannot be "
            f"reached to download it. Pick {' or '.join(BUNDLED_MODEL_NAMES)}, a local model folder, or a "
            "previous job's output."
        ) from None
