"""The model registry's rules: a succeeded job adds a version to a model of its team (`record_version`,
called by the worker in the transaction that records the success), with its lineage recorded once;
tags move between a model's versions; notes and archiving are the only edits; a version a job starts
from cannot be deleted; versions are compared side by side. Flushes, never commits."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.audit import service as audit
from tuneforge.errors import BadRequest, Conflict, NotFound
from tuneforge.jobs.models import Job, JobStatus
from tuneforge.jobs.resolve import STORAGE_PREFIX, model_cache_dir, output_key, version_files
from tuneforge.jobs.schemas import JobConfig, RegisterAs
from tuneforge.publishing import repository as publications
from tuneforge.registry import repository
from tuneforge.registry.models import ModelTag, ModelVersion, RegisteredModel
from tuneforge.registry.schemas import (
    BaseModelLineage,
    CompareAnswers,
    CompareRead,
    CompareRow,
    CompareVersion,
    CurvePoint,
    DatasetLineage,
    Hardware,
    KeyMetric,
    LaunchedBy,
    Lineage,
    LossCurve,
    ModelDetail,
    ModelRead,
    ModelVersionPage,
    ModelVersionRead,
    ModelVersionSummary,
    UsedBy,
    VersionFile,
)
from tuneforge.storage import Storage
from tuneforge.training import catalogue

log = logging.getLogger("tuneforge.registry")

LIBRARIES = ("torch", "transformers", "peft", "trl")
# A model folder's identity: its configuration and weights (tokenizer files and cards are left out).
_HASHED_NAMES = ("config.json", "adapter_config.json", "generation_config.json")
_HASHED_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth")
KEY_METRICS = ("eval_loss", "train_loss", "loss")
MAX_COMPARE = 8


# -- lineage ---------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def folder_hashes(folder: Path) -> dict[str, str] | None:
    """sha256 of a model folder's config and weight files (top level and `merged/`), by relative path;
    None when the folder does not exist."""
    if not folder.is_dir():
        return None
    found: dict[str, str] = {}
    for sub in (folder, folder / "merged"):
        if not sub.is_dir():
            continue
        for path in sorted(sub.iterdir()):
            if path.is_file() and (path.name in _HASHED_NAMES or path.suffix in _HASHED_SUFFIXES):
                found[path.relative_to(folder).as_posix()] = sha256_file(path)
    return found


def output_files(folder: Path) -> list[VersionFile]:
    """The output's files with their sizes, without training checkpoints."""
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        first = relative.split("/", 1)[0]
        if path.is_file() and not first.startswith("checkpoint-") and first != "checkpoints":
            hashed = path.name in _HASHED_NAMES or path.suffix in _HASHED_SUFFIXES
            files.append(VersionFile(path=relative, size_bytes=path.stat().st_size, sha256=sha256_file(path) if hashed else None))
    return files


def installed_libraries() -> dict[str, str]:
    """The training libraries' versions in this interpreter (a local run's trainer is `sys.executable`)."""
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def modal_libraries() -> dict[str, str]:
    """The training libraries' versions of the Modal image (pinned in the catalogue)."""
    pinned = dict(p.split("==", 1) for p in catalogue.MODAL_IMAGE_PACKAGES if "==" in p)
    return {name: pinned.get(name, "unknown") for name in LIBRARIES}


async def _base_model_lineage(*, session: AsyncSession, storage: Storage, team_id: uuid.UUID, ref: str) -> BaseModelLineage:
    folder: Path | None = None
    fields: dict[str, Any] = {"reference": ref}
    if ref in catalogue.BUNDLED_MODEL_NAMES:
        fields["kind"] = "bundled"
        folder = model_cache_dir(storage) / ref
        fields["note"] = "hash of the bootstrapped folder in the model cache"
    elif ref.startswith(repository.VERSION_PREFIX):
        fields["kind"] = "model_version"
        version = await repository.version_in_team(session=session, team_id=team_id, version_id=_uuid(ref.removeprefix(repository.VERSION_PREFIX)))
        if version is not None:
            fields.update(version_id=version.id, job_id=version.job_id)
            folder = storage.path(version.output_key)
    elif ref.startswith(STORAGE_PREFIX):
        fields["kind"] = "job_output"
        key = ref.removeprefix(STORAGE_PREFIX)
        parts = key.split("/")
        fields["job_id"] = _uuid(parts[1]) if len(parts) > 1 else None
        try:
            folder = storage.path(key)
        except ValueError:
            folder = None
    elif Path(ref).is_absolute():
        fields["kind"] = "folder"
        folder = Path(ref)
    else:
        fields.update(kind="hub", note="a Hugging Face Hub model: its files are not hashed here (the revision is not recorded)")
    if folder is not None:
        hashes = await asyncio.to_thread(folder_hashes, folder)
        fields["files_sha256"] = hashes
        if hashes is None:
            fields["note"] = "the folder was not found on the worker when the job finished: no hashes"
    return BaseModelLineage(**fields)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def build_lineage(*, session: AsyncSession, storage: Storage, job: Job, libraries: dict[str, str]) -> Lineage:
    """A succeeded job's lineage, hashes computed from the files as they are now."""
    config = JobConfig.model_validate(job.config)
    weights = {config.dataset_version_id: config.weight, **{part.dataset_version_id: part.weight for part in config.mixture}}
    found = await repository.dataset_versions(session=session, version_ids=list(weights))
    datasets = []
    for version_id, weight in weights.items():
        row = found.get(version_id)
        if row is None:
            datasets.append(DatasetLineage(version_id=version_id, weight=weight))
            continue
        version, dataset_name = row
        train = version_files(version).train
        path = storage.path(train) if train else None
        digest = await asyncio.to_thread(sha256_file, path) if path is not None and path.is_file() else None
        datasets.append(DatasetLineage(
            dataset_id=version.dataset_id, dataset_name=dataset_name, version_id=version.id, version_number=version.number,
            weight=weight, file=f"{STORAGE_PREFIX}{train}" if train else None, file_sha256=digest,
        ))
    result = job.result or {}
    timing = result.get("timing") or {}
    hardware = Hardware(
        executor=timing.get("executor") or job.executor.value, worker=timing.get("worker") or job.worker_name,
        device_type=timing.get("device_type"), device_name=timing.get("device_name"), gpu_type=timing.get("gpu_type") or job.gpu_type,
    )
    duration = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None
    if job.gpu_seconds is not None:
        gpu_hours: float | None = job.gpu_seconds / 3600
    elif hardware.device_type == "cuda" and duration is not None:
        gpu_hours = duration / 3600  # a local GPU, busy for the run's wall time
    elif hardware.device_type in ("cpu", "mps"):
        gpu_hours = 0.0
    else:
        gpu_hours = None
    output = storage.path(output_key(job.id))
    evaluation_path = output / "evaluation.json"
    evaluation = json.loads(await asyncio.to_thread(evaluation_path.read_text)) if evaluation_path.is_file() else None
    return Lineage(
        recorded="at_finish",
        job_id=job.id, job_name=job.name,
        launched_by=LaunchedBy(user_id=job.created_by, name=await repository.user_name(session=session, user_id=job.created_by)),
        base_model=await _base_model_lineage(session=session, storage=storage, team_id=job.team_id, ref=config.base_model),
        datasets=datasets,
        spec=job.resolved_spec,
        libraries=libraries,
        hardware=hardware,
        started_at=job.started_at, finished_at=job.finished_at, duration_s=round(duration, 1) if duration is not None else None,
        gpu_hours=round(gpu_hours, 6) if gpu_hours is not None else None,
        cost_usd=job.cost_usd if job.cost_usd is not None else (0.0 if job.executor.value == "local" else None),
        metrics=result.get("metrics") or {},
        evaluation=evaluation,
        files=await asyncio.to_thread(output_files, output),
    )


# -- launch: which model a job's version joins ---------------------------------------------------------


async def check_register_as(*, session: AsyncSession, team_id: uuid.UUID, register_as: RegisterAs | None) -> dict[str, Any] | None:
    """The wizard's choice as stored on the job: an existing model of the team, or a model name."""
    if register_as is None:
        return None
    if register_as.model_id is not None:
        if await repository.model_in_team(session=session, team_id=team_id, model_id=register_as.model_id) is None:
            raise BadRequest("register_as.model_id is not a model of this team. Pick one from the Models page, or give a new model_name.")
        return {"model_id": str(register_as.model_id)}
    return {"model_name": register_as.model_name}


async def record_version(*, session: AsyncSession, storage: Storage, job: Job, libraries: dict[str, str]) -> ModelVersion:
    """The version a succeeded job adds to its model (the one chosen at launch, else one named after the
    job): numbered after the model's last, its lineage recorded now. Once per job."""
    if job.status != JobStatus.succeeded:
        raise ValueError(f"job {job.id} is {job.status.value}: only a succeeded job makes a model version")
    existing = await repository.version_of_job(session=session, job_id=job.id)
    if existing is not None:
        return existing
    lineage = await build_lineage(session=session, storage=storage, job=job, libraries=libraries)
    model = await _target_model(session=session, job=job)
    model.last_number += 1
    version = ModelVersion(
        model_id=model.id, team_id=job.team_id, number=model.last_number, job_id=job.id, output_key=output_key(job.id),
        lineage=lineage.model_dump(mode="json"), notes="", archived=False,
    )
    session.add(version)
    await session.flush()
    log.info("job %s: recorded as %s v%s", job.id, model.name, version.number)
    return version


async def _target_model(*, session: AsyncSession, job: Job) -> RegisteredModel:
    """The model, locked (numbers are handed out one at a time)."""
    choice = job.register_as or {}
    if choice.get("model_id"):
        model = await repository.lock_model(session=session, model_id=uuid.UUID(choice["model_id"]))
        if model is not None and model.team_id == job.team_id:
            return model
    name = (choice.get("model_name") or job.name).strip()[:200] or f"job {job.id}"
    return await repository.get_or_create_model_locked(session=session, team_id=job.team_id, name=name, created_by=job.created_by)


# -- a version as a model for new jobs ---------------------------------------------------------------


async def folder_of_reference(*, session: AsyncSession, storage: Storage, team_id: uuid.UUID, value: str) -> Path | None:
    """The output folder of a `version:<id>` of this team (None: not such a version of this team)."""
    version_id = _uuid(value.removeprefix(repository.VERSION_PREFIX))
    version = await repository.version_in_team(session=session, team_id=team_id, version_id=version_id) if version_id else None
    return None if version is None else storage.path(version.output_key)


async def version_folder_keys(*, session: AsyncSession, references: Sequence[str]) -> dict[str, str]:
    """`version:<id>` → its storage key, for the references that are versions (no team check: for
    configurations checked at launch)."""
    keys = {}
    for ref in references:
        if ref.startswith(repository.VERSION_PREFIX) and (version_id := _uuid(ref.removeprefix(repository.VERSION_PREFIX))):
            version = await session.get(ModelVersion, version_id)
            if version is not None:
                keys[ref] = version.output_key
    return keys


# -- reading ---------------------------------------------------------------------------------------


def key_metric(lineage: dict[str, Any]) -> KeyMetric | None:
    metrics = lineage.get("metrics") or {}
    for name in KEY_METRICS:
        if isinstance(metrics.get(name), (int, float)):
            return KeyMetric(name=name, value=float(metrics[name]))
    return None


async def summaries(*, session: AsyncSession, versions: Sequence[ModelVersion]) -> list[ModelVersionSummary]:
    model_ids = list({v.model_id for v in versions})
    names = await repository.model_names(session=session, model_ids=model_ids)
    tags: dict[uuid.UUID, list[str]] = {}
    for tag in await repository.tags_of_models(session=session, model_ids=model_ids):
        tags.setdefault(tag.version_id, []).append(tag.name)
    return [
        ModelVersionSummary(
            id=v.id, model_id=v.model_id, model_name=names.get(v.model_id, ""), number=v.number, created_at=v.created_at,
            archived=v.archived, tags=tags.get(v.id, []), job_id=v.job_id,
            base_model=(v.lineage.get("base_model") or {}).get("reference", "unknown"), key_metric=key_metric(v.lineage),
        )
        for v in versions
    ]


def files_missing(storage: Storage, version: ModelVersion) -> bool:
    """The output folder is gone, or a recorded file is missing or no longer has its recorded size (a
    truncated copy). Sizes only: hashing every weight file on each page view would cost too much."""
    folder = storage.path(version.output_key)
    if not folder.is_dir():
        return True
    for recorded in version.lineage.get("files") or []:
        path = folder / recorded["path"]
        if not path.is_file() or ("size_bytes" in recorded and path.stat().st_size != recorded["size_bytes"]):
            return True
    return False


async def read_version(*, session: AsyncSession, storage: Storage, version: ModelVersion) -> ModelVersionRead:
    (summary,) = await summaries(session=session, versions=[version])
    used = await repository.jobs_using(session=session, team_id=version.team_id, version_id=version.id)
    return ModelVersionRead(
        **summary.model_dump(), notes=version.notes, lineage=Lineage.model_validate(version.lineage),
        files_missing=await asyncio.to_thread(files_missing, storage, version),
        used_by=[UsedBy(job_id=j.id, job_name=j.name, status=j.status.value) for j in used],
        reference=repository.reference(version.id),
    )


async def list_models(*, session: AsyncSession, team_id: uuid.UUID) -> list[ModelRead]:
    """Counts, latest versions and tags computed in SQL: a team's thousands of versions are never loaded
    to show its models."""
    models = await repository.models_in_team(session=session, team_id=team_id)
    counts = await repository.version_counts(session=session, team_id=team_id)
    latest_rows = await repository.latest_versions(session=session, team_id=team_id)
    tags = await repository.tags_of_versions(session=session, version_ids=[row.id for row in latest_rows])
    latest = {row.model_id: _row_summary(row, tags) for row in latest_rows}
    numbers = await repository.tag_numbers(session=session, team_id=team_id)
    return [
        ModelRead(id=m.id, name=m.name, description=m.description, created_at=m.created_at, version_count=counts.get(m.id, 0),
                  latest=latest.get(m.id), tags=numbers.get(m.id, {}))
        for m in models
    ]


def _row_summary(row: Any, tags: dict[uuid.UUID, list[str]]) -> ModelVersionSummary:
    """A repository.SUMMARY_COLUMNS row as the list shows it (the same fields as `summaries`)."""
    metrics = {name: getattr(row, f"metric_{name}") for name in KEY_METRICS}
    return ModelVersionSummary(
        id=row.id, model_id=row.model_id, model_name=row.model_name, number=row.number, created_at=row.created_at,
        archived=row.archived, tags=tags.get(row.id, []), job_id=row.job_id, base_model=row.base_model or "unknown",
        key_metric=key_metric({"metrics": metrics}),
    )


def _model_read(model: RegisteredModel, versions: list[ModelVersionSummary]) -> ModelRead:
    ordered = sorted(versions, key=lambda v: v.number, reverse=True)
    live = [v for v in ordered if not v.archived]
    return ModelRead(
        id=model.id, name=model.name, description=model.description, created_at=model.created_at, version_count=len(ordered),
        latest=(live or ordered or [None])[0], tags={tag: v.number for v in ordered for tag in v.tags},
    )


async def model_detail(*, session: AsyncSession, model: RegisteredModel) -> ModelDetail:
    versions = await summaries(session=session, versions=await repository.versions_in_team(
        session=session, team_id=model.team_id, model_id=model.id))
    return ModelDetail(**_model_read(model, versions).model_dump(), versions=sorted(versions, key=lambda v: -v.number))


async def list_versions(
    *, session: AsyncSession, team_id: uuid.UUID, include_archived: bool, limit: int, offset: int, q: str | None = None,
) -> ModelVersionPage:
    rows, total = await repository.version_page(
        session=session, team_id=team_id, include_archived=include_archived, limit=limit, offset=offset, q=q)
    tags = await repository.tags_of_versions(session=session, version_ids=[row.id for row in rows])
    return ModelVersionPage(items=[_row_summary(row, tags) for row in rows], total=total)


async def version_of_job(*, session: AsyncSession, job: Job) -> ModelVersionSummary | None:
    version = await repository.version_of_job(session=session, job_id=job.id)
    return (await summaries(session=session, versions=[version]))[0] if version else None


# -- edits -----------------------------------------------------------------------------------------


async def update_version(*, session: AsyncSession, version: ModelVersion, notes: str | None, archived: bool | None) -> None:
    if notes is not None:
        version.notes = notes
    if archived is not None:
        version.archived = archived
    await session.flush()


async def _audit(session: AsyncSession, version: ModelVersion, actor: Any, action: str, **detail: Any) -> None:
    model = await session.get(RegisteredModel, version.model_id)
    await audit.record(session, action=action, actor=actor, team_id=version.team_id, target_type="model_version",
                       target_id=version.id, target_label=f"{model.name if model else '?'} v{version.number}",
                       detail=detail or None)


async def set_tag(*, session: AsyncSession, version: ModelVersion, name: str, actor: Any = None) -> None:
    """Put the tag on this version; the model's other version that had it loses it (one version per tag)."""
    if version.archived:
        raise BadRequest("This version is archived: unarchive it before tagging it.")
    await session.execute(
        insert(ModelTag).values(model_id=version.model_id, name=name, version_id=version.id)
        .on_conflict_do_update(index_elements=["model_id", "name"], set_={"version_id": version.id})
    )
    await session.flush()
    await _audit(session, version, actor, "model_version.tagged", tag=name)


async def remove_tag(*, session: AsyncSession, version: ModelVersion, name: str, actor: Any = None) -> None:
    tag = await repository.get_tag(session=session, model_id=version.model_id, name=name)
    if tag is None or tag.version_id != version.id:
        raise NotFound(f"This version has no tag '{name}'.")
    await session.delete(tag)
    await session.flush()
    await _audit(session, version, actor, "model_version.untagged", tag=name)


async def delete_version(*, session: AsyncSession, version: ModelVersion, actor: Any = None) -> None:
    """Removes the version from the registry (its tags with it); the job's output stays with the job.
    Refused while a job names it as a model, or a publication depends on it."""
    used = await repository.jobs_using(session=session, team_id=version.team_id, version_id=version.id)
    if used:
        names = ", ".join(f"'{j.name}'" for j in used[:5]) + (f" and {len(used) - 5} more" if len(used) > 5 else "")
        raise Conflict(
            f"This version cannot be deleted: {len(used)} job(s) start from it ({names}). Delete those jobs first, "
            "or archive the version to hide it."
        )
    published = await publications.count_kept(session=session, version_id=version.id)
    if published:
        raise Conflict(
            f"This version cannot be deleted: {published} publication(s) depend on it (GGUF files, Hub or Ollama "
            "uploads in its publishing history). Delete those publications from the version page first, or archive "
            "the version to hide it."
        )
    await _audit(session, version, actor, "model_version.deleted")
    await session.delete(version)
    await session.flush()


# -- compare ---------------------------------------------------------------------------------------


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys; lists and scalars are leaves."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def _rows(dicts: list[dict[str, Any]], *, numbers_only: bool = False) -> list[CompareRow]:
    keys: list[str] = []
    for d in dicts:
        keys += [k for k in d if k not in keys and (not numbers_only or isinstance(d[k], (int, float)))]
    rows = []
    for key in sorted(keys):
        values = [d.get(key) for d in dicts]
        if numbers_only:
            values = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in values]
        rows.append(CompareRow(key=key, values=values, differs=len({json.dumps(v, sort_keys=True) for v in values}) > 1))
    return rows


# Always different, and not a choice: left out of the configuration table.
_NOT_CONFIG = ("output_dir", "model_cache_dir", "resume_from_checkpoint")


async def compare(*, session: AsyncSession, team_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> CompareRead:
    ids = list(dict.fromkeys(ids))
    if not 2 <= len(ids) <= MAX_COMPARE:
        raise BadRequest(f"Compare 2 to {MAX_COMPARE} versions: ids=<id>,<id>,...")
    versions = []
    for version_id in ids:
        version = await repository.version_in_team(session=session, team_id=team_id, version_id=version_id)
        if version is None:
            raise NotFound(repository.NO_SUCH_VERSION)
        versions.append(version)
    names = await repository.model_names(session=session, model_ids=[v.model_id for v in versions])
    specs = [{k: v for k, v in flatten(v.lineage.get("spec") or {}).items() if k not in _NOT_CONFIG} for v in versions]
    metrics = [flatten({k: m for k, m in (v.lineage.get("metrics") or {}).items() if k not in ("files", "effective_hyperparameters")})
               for v in versions]
    # Loss curves from each job's metric (train loss) and eval (eval loss) events.
    curves: dict[uuid.UUID, dict[int, CurvePoint]] = {v.job_id: {} for v in versions if v.job_id}
    for job_id, kind, data in await repository.loss_events(session=session, job_ids=list(curves)):
        step = data.get("step")
        if not isinstance(step, int):
            continue
        point = curves[job_id].setdefault(step, CurvePoint(step=step))
        if kind == "metric" and isinstance(data.get("loss"), (int, float)):
            point.loss = float(data["loss"])
        elif kind == "eval" and isinstance(data.get("eval_loss"), (int, float)):
            point.eval_loss = float(data["eval_loss"])
    loss_curves = [
        LossCurve(version_id=v.id, points=sorted(curves.get(v.job_id, {}).values(), key=lambda p: p.step) if v.job_id else [])
        for v in versions
    ]
    # Evaluation answers by prompt, in the order they first appear.
    answers: dict[str, CompareAnswers] = {}
    for index, v in enumerate(versions):
        for sample in ((v.lineage.get("evaluation") or {}).get("samples") or []):
            prompt = str(sample.get("prompt", ""))
            row = answers.setdefault(prompt, CompareAnswers(prompt=prompt, reference=sample.get("reference"), answers=[None] * len(versions)))
            row.answers[index] = sample.get("fine_tuned")
    return CompareRead(
        versions=[CompareVersion(id=v.id, model_name=names.get(v.model_id, ""), number=v.number, job_id=v.job_id) for v in versions],
        config=_rows(specs), metrics=_rows(metrics, numbers_only=True), loss_curves=loss_curves, evaluation=list(answers.values()),
    )
