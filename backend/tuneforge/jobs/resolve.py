"""Turns a job's stored configuration (JobConfig) into the training library's spec, with real paths.

`resolve_training_spec` is the only place a job's spec is made: launch validation and the
estimate (jobs.service.prepare_launch), the local worker and Modal (worker.supervisor) all call it,
so what was validated is what runs. It is synchronous and touches no database: the dataset
versions' files are looked up first (`load_version_files` on the worker, the team-checked lookup
in jobs.service at launch) and passed in.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.jobs.schemas import JobConfig
from tuneforge.storage import Storage
from tuneforge.training.spec import TrainingConfig, TrainingSpec


def output_key(job_id) -> str:
    """Where a job's outputs and checkpoints live in storage."""
    return f"jobs/{job_id}/output"


def has_checkpoint(storage: Storage, job_id) -> bool:
    # A complete one: the Trainer writes trainer_state.json last (training.runner.checkpoint_complete).
    return any(storage.path(output_key(job_id)).glob("**/checkpoint-*/trainer_state.json"))


def model_cache_dir(storage: Storage) -> Path:
    """Where bootstrapped base models are cached, next to the storage root."""
    return storage.root.parent / "models"


# -- server paths as users see them ----------------------------------------------------------------
# One convention everywhere a path could reach a user (the estimate and its spec_yaml, /spec.yaml,
# JobRead's resolved_spec, result, last_checkpoint, messages, stderr tails, events): a path inside
# storage is `storage:<key>` (`storage:jobs/<id>/output`, `storage:datasets/<id>/versions/<id>/rows.jsonl`),
# a path elsewhere in the data directory (the model cache, ...) is `data:<relative path>`. The storage
# root and the data directory themselves are never shown. `storage:jobs/<id>/output` is also how a
# user names a previous job's output as a model (jobs.base_models); registered model folders
# (TUNEFORGE_MODEL_DIRS) are shown as they are: /api/model-folders lists them to every user.
STORAGE_PREFIX = "storage:"
DATA_PREFIX = "data:"
VERSION_PREFIX = "version:"  # a model version of the team's registry: resolved to its job's output folder


def redact(text: str, storage: Storage) -> str:
    """`text` with the storage root and the data directory replaced by `storage:` and `data:`."""
    for root, prefix in ((storage.root, STORAGE_PREFIX), (storage.root.parent, DATA_PREFIX)):
        if len(root.parts) > 1 and str(root) in text:  # never the filesystem root
            # The root itself, or followed by "/"; not a longer name that starts the same ("/srv/data2").
            text = re.sub(re.escape(str(root)) + r"(?:/|(?![\w.-]))", prefix, text)
    return text


def redact_tree(value: Any, storage: Storage) -> Any:
    """Every string inside `value` (dicts, lists, tuples) redacted."""
    if isinstance(value, str):
        return redact(value, storage)
    if isinstance(value, dict):
        return {key: redact_tree(item, storage) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_tree(item, storage) for item in value)
    return value


def model_path(reference: str, storage: Storage, model_folders: Mapping[str, str] | None = None) -> str:
    """A model reference as the trainer reads it: `storage:<key>` becomes the path in storage (raises
    ValueError for an invalid key), a model version (`version:<id>`) the path of its folder in storage
    (`model_folders`: reference -> storage key, from `load_model_folders`); any other reference is unchanged."""
    if reference.startswith(STORAGE_PREFIX):
        return str(storage.path(reference.removeprefix(STORAGE_PREFIX)))
    if reference.startswith(VERSION_PREFIX):
        key = (model_folders or {}).get(reference)
        if key is None:
            raise ValueError(f"model version {reference.removeprefix(VERSION_PREFIX)} no longer exists")
        return str(storage.path(key))
    return reference


async def load_model_folders(*, session: AsyncSession, config: TrainingConfig) -> dict[str, str]:
    """The storage keys of the model versions the configuration names (no team check: for jobs checked at launch)."""
    from tuneforge.registry.service import version_folder_keys

    return await version_folder_keys(session=session, references=list(config.model_references().values()))


def for_display(spec: TrainingSpec, storage: Storage) -> TrainingSpec:
    """The spec as users see it (estimate, spec_yaml, /spec.yaml, JobRead.resolved_spec): every
    path in the `storage:` / `data:` convention, the model cache left out (the platform's; `tuneforge
    train` uses its own)."""

    def shown(path: str | None) -> str | None:
        return None if path is None else redact(path, storage)

    data = spec.data.model_copy(
        update={
            "sources": [s.model_copy(update={"path": shown(s.path)}) for s in spec.data.sources],
            "validation_path": shown(spec.data.validation_path),
        }
    )
    shown_spec = spec.with_model_references({field: shown(value) for field, value in spec.model_references().items()})
    return shown_spec.model_copy(
        update={
            "data": data,
            "output_dir": shown(spec.output_dir),
            "model_cache_dir": None,
            "resume_from_checkpoint": shown(spec.resume_from_checkpoint),
        }
    )


@dataclass(frozen=True)
class VersionFiles:
    """The storage keys of the canonical JSONL a dataset version trains on."""

    train: str | None
    validation: str | None = None


def version_files(version) -> VersionFiles:
    """A dataset version's train split, else all its rows; and its validation split if it has one."""
    files = version.files or {}
    return VersionFiles(train=files.get("train") or files.get("rows"), validation=files.get("validation"))


async def load_version_files(*, session: AsyncSession, version_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, VersionFiles]:
    """The files of these dataset versions (no team check: for jobs that were checked at launch)."""
    from tuneforge.datasets.models import DatasetVersion

    ids = list(dict.fromkeys(version_ids))
    rows = await session.scalars(select(DatasetVersion).where(DatasetVersion.id.in_(ids)))
    return {version.id: version_files(version) for version in rows}


def resolve_training_spec(
    *, config: JobConfig, storage: Storage, job_id: uuid.UUID | str, resume: bool, files: Mapping[uuid.UUID, VersionFiles],
    model_folders: Mapping[str, str] | None = None,
) -> TrainingSpec:
    """The runnable spec of a job: its configuration with the data files, the output folder, the model
    cache and the resume point as paths in `storage`. `files` holds the files of every dataset version
    the configuration names (`config.version_ids()`); `model_folders` the folders of the model versions
    it names (`load_model_folders`). Raises ValueError when one is missing."""

    def train_path(version_id: uuid.UUID) -> str:
        found = files.get(version_id)
        if found is None or not found.train:
            raise ValueError(f"dataset version {version_id} has no rows to train on")
        return str(storage.path(found.train))

    main = files.get(config.dataset_version_id)
    sources = [{"path": train_path(config.dataset_version_id), "weight": config.weight}] + [
        {"path": train_path(part.dataset_version_id), "weight": part.weight} for part in config.mixture
    ]
    data = {
        **config.data.model_dump(),
        "sources": sources,
        "validation_path": str(storage.path(main.validation)) if main and main.validation else None,
    }
    # A previous job's output named as a model (`storage:jobs/<id>/output`) is read from storage.
    # A model version (`version:<id>`) is read from its job's output folder.
    config = config.with_model_references(
        {f: model_path(v, storage, model_folders) for f, v in config.model_references().items()}
    )
    return TrainingSpec.model_validate(
        {
            **config.model_dump(include=set(TrainingConfig.model_fields)),
            "data": data,
            "output_dir": str(storage.path(output_key(job_id))),
            "model_cache_dir": str(model_cache_dir(storage)),
            "resume_from_checkpoint": "latest" if resume else None,
        }
    )
