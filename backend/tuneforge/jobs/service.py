from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.credentials import service as credentials_service
from tuneforge.credentials.models import Provider
from tuneforge.datasets import service as datasets_service
from tuneforge.datasets.models import Dataset, DatasetVersion, VersionStatus
from tuneforge.errors import BadRequest, Conflict, NotFound
from tuneforge.jobs import queue
from tuneforge.jobs.base_models import check_base_model
from tuneforge.jobs.event_store import announce_job_change, append_events, status_event
from tuneforge.jobs.models import Executor, Job, JobEvent, JobStatus, JobTemplate
from tuneforge.jobs.schemas import JobCreate, TemplateCreate
from tuneforge.jobs.resolve import has_checkpoint, output_key, training_spec_dict, version_files
from tuneforge.storage import Storage
from tuneforge.training import catalogue
from tuneforge.worker_registry import service as workers_service


def _cache_dir(storage: Storage) -> Path:
    return storage.root.parent / "models"


async def _version_in_team(*, session: AsyncSession, team_id: uuid.UUID, version_id: uuid.UUID) -> tuple[DatasetVersion, Dataset]:
    row = (
        await session.execute(
            select(DatasetVersion, Dataset)
            .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
            .where(DatasetVersion.id == version_id, Dataset.team_id == team_id)
        )
    ).first()
    if row is None:
        raise NotFound("No such dataset version in this team. Pick one from the Datasets page.")
    version, dataset = row
    if version.status != VersionStatus.usable:
        raise BadRequest(
            f"Version {version.number} of '{dataset.name}' has errors, so it cannot be trained on. "
            "Open it on the Datasets page and use 'Drop invalid rows' to make a clean version."
        )
    return version, dataset


async def _stored_config(*, session: AsyncSession, team_id: uuid.UUID, data: JobCreate) -> tuple[dict[str, Any], DatasetVersion, Dataset]:
    version, dataset = await _version_in_team(session=session, team_id=team_id, version_id=data.dataset_version_id)
    files = version_files(version)
    if files["train"] is None:
        raise BadRequest("This dataset version has no rows to train on.")
    mixture = []
    for part in data.mixture:
        other, _ = await _version_in_team(session=session, team_id=team_id, version_id=part.dataset_version_id)
        mixture.append({"key": version_files(other)["train"], "weight": part.weight, "dataset_version_id": str(other.id)})
    config = data.model_dump(
        mode="json", exclude={"executor", "gpu_type", "auto_resume", "timeout_minutes", "name", "mixture"}
    )
    config["data"] = {**data.data, "files": files, "mixture": mixture}
    return config, version, dataset


def validate_training_config(*, config: dict[str, Any], storage: Storage, job_id: uuid.UUID, cuda: bool = False) -> Any:
    """Builds the library's spec and runs its checks: what cannot train is refused before queueing."""
    from tuneforge.training.exceptions import TrainingError
    from tuneforge.training.spec import TrainingSpec, check_spec

    spec_dict = training_spec_dict(
        config, storage=storage, output_dir=storage.path(output_key(job_id)), cache_dir=_cache_dir(storage)
    )
    try:
        spec = TrainingSpec.model_validate(spec_dict)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg'].removeprefix('Value error, ')}" for err in exc.errors()[:5]
        )
        raise BadRequest(f"The training settings are not valid — {problems}") from exc
    try:
        facts = check_spec(spec, cuda=cuda)
    except TrainingError as exc:
        raise BadRequest(f"{exc.message}. {exc.hint}".strip()) from exc
    return spec, facts


def _needs_cuda(config: dict[str, Any]) -> bool:
    precision = (config.get("hyperparameters") or {}).get("precision", "auto")
    return config.get("provider") == "unsloth" or precision in ("bf16", "fp16")


async def estimate_targets(
    *, session: AsyncSession, settings: Settings, spec: Any, executor: Executor, gpu_type: str | None
) -> dict[str, Any]:
    """Memory fit, time and cost of the spec where it would run: the chosen target and the alternatives."""
    from tuneforge.training.estimate import estimate

    targets: list[dict[str, Any]] = []
    workers = await workers_service.list_live(session=session, heartbeat_seconds=settings.worker_heartbeat_seconds)
    seen: set[str] = set()
    for worker in workers:
        for device in worker.devices:
            key = f"{device.get('type')}:{device.get('name')}"
            if key in seen:
                continue
            seen.add(key)
            targets.append({"executor": "local", "worker": worker.name, "device": device})
    for gpu in catalogue.GPU_TYPES.values():
        targets.append({"executor": "modal", "gpu_type": gpu.name, "device": gpu.as_device()})

    generations = 0
    if spec.eval.enabled:
        generations = spec.eval.generation_samples * (2 if spec.eval.compare_base else 1)

    def run_all() -> list[dict[str, Any]]:
        results = []
        for target in targets:
            try:
                result = estimate(spec, target["device"])
            except (ValueError, KeyError) as exc:
                result = {"error": str(exc)}
            else:
                _add_wall_time(result, target, generations)
            results.append({**{k: v for k, v in target.items() if k != "device"}, "device_name": target["device"].get("name"),
                            "device_type": target["device"].get("type"), **result})
        return results

    results = await asyncio.to_thread(run_all)
    chosen = None
    for result in results:
        if executor == Executor.modal and result.get("gpu_type") == gpu_type:
            chosen = result
        elif executor == Executor.local and result["executor"] == "local" and chosen is None:
            chosen = result
    return {"chosen": chosen, "targets": results, "price_table_date": catalogue.PRICE_TABLE_DATE}


# What a run costs besides its steps: starting the trainer process and loading the model (and, on
# Modal, starting a container), plus the held-out evaluation. Measured roughly here; shown apart.
STARTUP_SECONDS = {"local": 25.0, "modal": 90.0}
EVAL_SECONDS_PER_SAMPLE = 1.5


def _add_wall_time(result: dict[str, Any], target: dict[str, Any], generations: int) -> None:
    training = result.get("total_seconds")
    if training is None:
        return
    startup = STARTUP_SECONDS[target["executor"]]
    evaluation = EVAL_SECONDS_PER_SAMPLE * generations
    result["startup_seconds"] = startup
    result["wall_seconds"] = round(training + startup + evaluation, 1)
    if target["executor"] == "modal":
        result["cost_usd"] = catalogue.cost_usd(target["gpu_type"], result["wall_seconds"])


async def _check_executor(*, session: AsyncSession, settings: Settings, user: User, data: JobCreate) -> None:
    if data.executor == Executor.modal:
        if data.gpu_type not in catalogue.GPU_TYPES:
            raise BadRequest(f"Pick a Modal GPU type: one of {', '.join(catalogue.GPU_NAMES)}.")
        secret = await credentials_service.get_secret(session=session, settings=settings, user_id=user.id, provider=Provider.modal)
        if secret is None:
            raise BadRequest("Running on Modal needs your Modal token: add a Modal token in Settings, then launch again.")
        if Path(data.base_model).is_absolute():
            raise BadRequest("Modal runs start from bundled or Hugging Face base models; a local folder cannot be sent yet.")
    elif data.gpu_type:
        raise BadRequest("gpu_type is only for Modal runs; local jobs run on whatever the worker has.")


@dataclass
class Launch:
    """A validated launch: what is stored, what runs, and where it would fit."""

    job_id: uuid.UUID
    config: dict[str, Any]
    version: DatasetVersion
    dataset: Dataset
    spec: Any
    facts: dict[str, Any]
    estimates: dict[str, Any]


async def prepare_launch(
    *, session: AsyncSession, settings: Settings, storage: Storage, team_id: uuid.UUID, user: User, data: JobCreate,
    estimate_only: bool = False,
) -> Launch:
    """Everything a launch checks, in order. An estimate skips only what launching needs and pricing
    does not (a saved Modal token, a reachable Hub), so costs can be compared before setting up."""
    if not estimate_only:
        await _check_executor(session=session, settings=settings, user=user, data=data)
    await check_base_model(
        session=session, settings=settings, storage=storage, cache_dir=_cache_dir(storage), team_id=team_id,
        base_model=data.base_model, check_hub=data.executor == Executor.local and not estimate_only,
    )
    config, version, dataset = await _stored_config(session=session, team_id=team_id, data=data)
    job_id = uuid.uuid4()
    cuda = data.executor == Executor.modal or _needs_cuda(config)
    spec, facts = await asyncio.to_thread(validate_training_config, config=config, storage=storage, job_id=job_id, cuda=cuda)
    estimates = await estimate_targets(session=session, settings=settings, spec=spec, executor=data.executor, gpu_type=data.gpu_type)
    if data.executor == Executor.local and estimates["chosen"] is None:
        estimates["warnings"] = ["No worker is online: the job waits in the queue until one starts (`tuneforge worker`)."]
    elif data.executor == Executor.local and cuda and not any(
        t["executor"] == "local" and t.get("device_type") == "cuda" for t in estimates["targets"]
    ):
        estimates["warnings"] = ["This job needs a CUDA GPU and no GPU worker is online: it waits until one joins, or run it on Modal."]
    return Launch(job_id, config, version, dataset, spec, facts, estimates)


async def create_job(
    *, session: AsyncSession, settings: Settings, storage: Storage, team_id: uuid.UUID, user: User, data: JobCreate,
    cloned_from: uuid.UUID | None = None,
) -> Job:
    launch = await prepare_launch(session=session, settings=settings, storage=storage, team_id=team_id, user=user, data=data)
    job_id, config, version, dataset, estimates = launch.job_id, launch.config, launch.version, launch.dataset, launch.estimates
    job = Job(
        id=job_id,
        team_id=team_id,
        created_by=user.id,
        name=data.name or f"{data.method.upper()} {data.adapter} · {data.base_model} · {dataset.name} v{version.number}",
        status=JobStatus.queued,
        method=data.method,
        adapter=data.adapter,
        base_model=data.base_model,
        dataset_version_id=version.id,
        config=config,
        estimate=estimates,
        executor=data.executor,
        gpu_type=data.gpu_type,
        needs_cuda=_needs_cuda(config),
        auto_resume=data.auto_resume,
        timeout_minutes=data.timeout_minutes,
        cloned_from_id=cloned_from,
        queued_at=datetime.now(UTC),
    )
    session.add(job)
    await session.flush()
    await _enqueue(session=session, job=job, message=f"queued by {user.display_name}")
    return job


async def _enqueue(*, session: AsyncSession, job: Job, message: str) -> None:
    # Fairness across teams: a team with many jobs waiting gets a lower priority for its next one.
    waiting = await session.scalar(
        select(func.count()).select_from(Job).where(Job.team_id == job.team_id, Job.status == JobStatus.queued, Job.id != job.id)
    )
    await queue.enqueue_job(session=session, job=job, priority=-int(waiting or 0))
    await append_events(session=session, job_id=job.id, events=[status_event("queued", message)], attempt=job.attempt)
    await announce_job_change(session=session, job=job)


async def list_jobs(
    *, session: AsyncSession, team_id: uuid.UUID, status: str | None, method: str | None, created_by: uuid.UUID | None,
    limit: int, offset: int,
) -> tuple[list[tuple[Job, str | None]], int]:
    query = select(Job).where(Job.team_id == team_id)
    if status:
        query = query.where(Job.status.in_([s.strip() for s in status.split(",")]))
    if method:
        query = query.where(Job.method == method)
    if created_by:
        query = query.where(Job.created_by == created_by)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.add_columns(User.display_name)
        .outerjoin(User, User.id == Job.created_by)
        .order_by(Job.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(job, name) for job, name in rows.all()], int(total or 0)


async def creator_name(*, session: AsyncSession, job: Job) -> str | None:
    if job.created_by is None:
        return None
    return await session.scalar(select(User.display_name).where(User.id == job.created_by))


async def cancel_job(*, session: AsyncSession, job: Job, user: User) -> Job:
    if job.status.terminal:
        raise Conflict(f"This job is already {job.status.value}; there is nothing to cancel.")
    if job.status == JobStatus.cancelling:
        return job
    if job.queue_job_id is not None:
        await queue.request_abort(session=session, queue_job_id=job.queue_job_id)
    if job.status == JobStatus.running:
        job.status = JobStatus.cancelling
        message = f"cancel requested by {user.display_name}; saving a checkpoint"
    else:  # queued or interrupted: nothing runs, stop at once
        job.status = JobStatus.cancelled
        job.finished_at = datetime.now(UTC)
        job.message = message = f"cancelled by {user.display_name} before it ran" if job.attempt == 0 else f"cancelled by {user.display_name}"
    await append_events(session=session, job_id=job.id, events=[status_event(job.status.value, message)], attempt=job.attempt)
    await announce_job_change(session=session, job=job)
    return job


async def retry_job(*, session: AsyncSession, storage: Storage, job: Job, user: User) -> Job:
    if not (job.status in (JobStatus.failed, JobStatus.cancelled) or job.status == JobStatus.interrupted):
        raise Conflict(f"Only failed, cancelled or interrupted jobs can be retried; this one is {job.status.value}.")
    # A retry starts from scratch; resume keeps the checkpoints.
    await asyncio.to_thread(storage.delete, output_key(job.id))
    _reset_for_queue(job)
    job.last_checkpoint = None
    job.step = 0
    await _enqueue(session=session, job=job, message=f"retried from scratch by {user.display_name}")
    return job


async def resume_job(*, session: AsyncSession, storage: Storage, job: Job, user: User) -> Job:
    if job.status not in (JobStatus.failed, JobStatus.cancelled, JobStatus.interrupted):
        raise Conflict(f"Only stopped jobs can be resumed; this one is {job.status.value}.")
    if not await asyncio.to_thread(has_checkpoint, storage, job.id):
        raise Conflict("This job saved no checkpoint, so there is nothing to resume from. Use Retry to start again.")
    _reset_for_queue(job)
    await _enqueue(session=session, job=job, message=f"resumed from the last checkpoint by {user.display_name}")
    return job


def _reset_for_queue(job: Job) -> None:
    job.status = JobStatus.queued
    job.finished_at = None
    job.error_kind = None
    job.message = None
    job.hint = None
    job.exit_code = None
    job.queued_at = datetime.now(UTC)


def merged_config(job: Job, overrides: dict[str, Any]) -> dict[str, Any]:
    """A job's settings as the wizard would submit them, with `overrides` applied (one level deep)."""
    config = {k: v for k, v in job.config.items() if k != "data"}
    data = {k: v for k, v in (job.config.get("data") or {}).items() if k not in ("files", "mixture")}
    config["data"] = data
    config["mixture"] = [
        {"dataset_version_id": m["dataset_version_id"], "weight": m["weight"]} for m in (job.config.get("data") or {}).get("mixture", [])
    ]
    config["name"] = job.name
    config.update({"executor": job.executor.value, "gpu_type": job.gpu_type, "auto_resume": job.auto_resume,
                   "timeout_minutes": job.timeout_minutes})
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


async def delete_job(*, session: AsyncSession, storage: Storage, job: Job) -> None:
    if job.status.active:
        raise Conflict(f"This job is {job.status.value}. Cancel it first, then delete it.")
    await session.delete(job)
    await session.flush()
    await asyncio.to_thread(storage.delete, f"jobs/{job.id}")


async def list_events(*, session: AsyncSession, job_id: uuid.UUID, after_seq: int, limit: int) -> list[JobEvent]:
    rows = await session.scalars(
        select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.seq > after_seq).order_by(JobEvent.seq).limit(limit)
    )
    return list(rows)


def list_artifacts(*, storage: Storage, job: Job) -> list[dict[str, Any]]:
    root = storage.path(output_key(job.id))
    if not root.exists():
        return []
    return [
        {"path": str(p.relative_to(root)), "size_bytes": p.stat().st_size}
        for p in sorted(root.rglob("*"))
        if p.is_file() and "checkpoint-" not in str(p.relative_to(root)).split("/")[0]
    ]


def artifact_path(*, storage: Storage, job: Job, path: str) -> Path:
    root = storage.path(output_key(job.id)).resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        raise NotFound("No such file in this job's outputs.")
    return target


async def jobs_using_versions(session: AsyncSession, version_ids: list[uuid.UUID]) -> list[str]:
    """Jobs that trained (or will train) on these dataset versions: a dataset they use is not deleted."""
    rows = await session.scalars(select(Job).where(Job.dataset_version_id.in_(version_ids)).order_by(Job.created_at))
    return [f"job '{job.name}' ({job.status.value})" for job in rows]


datasets_service.VERSION_USAGE_CHECKS.append(jobs_using_versions)


async def team_analytics(*, session: AsyncSession, team_id: uuid.UUID, days: int = 30) -> dict[str, Any]:
    since = datetime.now(UTC) - timedelta(days=days)
    jobs = list(await session.scalars(select(Job).where(Job.team_id == team_id, Job.created_at >= since)))
    by_status: dict[str, int] = {}
    by_method: dict[str, int] = {}
    per_day: dict[str, dict[str, int]] = {}
    gpu_hours = 0.0
    cost = 0.0
    for job in jobs:
        by_status[job.status.value] = by_status.get(job.status.value, 0) + 1
        by_method[job.method] = by_method.get(job.method, 0) + 1
        day = job.created_at.date().isoformat()
        per_day.setdefault(day, {"jobs": 0, "succeeded": 0, "failed": 0})
        per_day[day]["jobs"] += 1
        if job.status in (JobStatus.succeeded, JobStatus.failed):
            per_day[day][job.status.value] += 1
        gpu_hours += (job.gpu_seconds or 0) / 3600
        cost += job.cost_usd or 0
    return {
        "days": days,
        "total_jobs": len(jobs),
        "by_status": by_status,
        "by_method": by_method,
        "per_day": [{"day": d, **v} for d, v in sorted(per_day.items())],
        "gpu_hours": round(gpu_hours, 3),
        "cost_usd": round(cost, 2),
    }


async def create_template(*, session: AsyncSession, team_id: uuid.UUID, user: User, data: TemplateCreate) -> JobTemplate:
    exists = await session.scalar(select(JobTemplate.id).where(JobTemplate.team_id == team_id, JobTemplate.name == data.name))
    if exists:
        raise Conflict(f"A template named '{data.name}' already exists in this team. Pick another name.")
    template = JobTemplate(team_id=team_id, created_by=user.id, name=data.name, description=data.description, config=data.config)
    session.add(template)
    await session.flush()
    return template
