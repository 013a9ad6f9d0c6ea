from __future__ import annotations

import asyncio
import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.audit import service as audit
from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.credentials import team_service as team_credentials
from tuneforge.credentials.models import Provider
from tuneforge.datasets import service as datasets_service
from tuneforge.datasets.models import Dataset, DatasetVersion, VersionStatus
from tuneforge.errors import BadRequest, Conflict, NotFound
from tuneforge.jobs import billing, lifecycle, queue, repository
from tuneforge.jobs.base_models import check_model_references, names_a_server_folder
from tuneforge.jobs.models import Executor, Job, JobEvent, JobStatus, JobTemplate
from tuneforge.jobs.schemas import JobConfig, JobCreate, TemplateCreate
from tuneforge.quotas import service as quotas
from tuneforge.jobs.resolve import (
    VersionFiles,
    has_checkpoint,
    load_model_folders,
    load_version_files,
    for_display,
    model_cache_dir,
    output_key,
    redact,
    redact_tree,
    resolve_training_spec,
    version_files,
)
from tuneforge.storage import Storage
from tuneforge.teams.models import Role
from tuneforge.training import catalogue
from tuneforge.training.runner import CHECKPOINT_DIR
from tuneforge.training.spec import DebugSpec, Hyperparameters, Target, TrainingSpec, preset_hyperparameters
from tuneforge.worker_registry import service as workers_service


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


async def _versions_of(
    *, session: AsyncSession, team_id: uuid.UUID, config: JobConfig
) -> tuple[DatasetVersion, Dataset, dict[uuid.UUID, VersionFiles]]:
    """The job's main dataset version (and its dataset), and the files of every version it trains on,
    each checked to be in the team and usable."""
    version, dataset = await _version_in_team(session=session, team_id=team_id, version_id=config.dataset_version_id)
    files = {version.id: version_files(version)}
    for part in config.mixture:
        other, _ = await _version_in_team(session=session, team_id=team_id, version_id=part.dataset_version_id)
        files[other.id] = version_files(other)
    if any(found.train is None for found in files.values()):
        raise BadRequest("This dataset version has no rows to train on.")
    return version, dataset, files


def _bad_settings(exc: ValidationError) -> BadRequest:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg'].removeprefix('Value error, ')}" for err in exc.errors()[:5]
    )
    return BadRequest(f"The training settings are not valid — {problems}")


def check_training_spec(spec: TrainingSpec, targets: list[Target]) -> dict[str, Any]:
    """Runs the library's checks on the resolved spec for the machines that could train it (never the
    API's own host): accepted when one of them can (the facts are that one's), refused with the first
    one's reason otherwise. What cannot train is refused before queueing."""
    from tuneforge.training.exceptions import TrainingError
    from tuneforge.training.spec import check_spec

    refusal: TrainingError | None = None
    for target in dict.fromkeys(targets):
        try:
            return check_spec(spec, target=target)
        except TrainingError as exc:
            refusal = refusal or exc
    if refusal is None:
        raise ValueError("check_training_spec needs at least one target")
    raise BadRequest(f"{refusal.message}. {refusal.hint}".strip()) from refusal


def _needs_cuda(config: JobConfig) -> bool:
    return config.provider == "unsloth" or config.hyperparameters.precision in ("bf16", "fp16")


async def launch_targets(*, session: AsyncSession, settings: Settings, data: JobCreate, config: JobConfig) -> list[Target]:
    """The machines a job could train on, as validation sees them. Modal: the Modal image (catalogue)
    on the chosen GPU. Local: the live workers that can take it (those with CUDA when it needs CUDA),
    as they reported themselves; with none online, the standard worker it will wait for (`tuneforge[train]`,
    with CUDA and unsloth when it asks for them; prepare_launch warns that it waits)."""
    if data.executor == Executor.modal:
        return [Target.on_modal(data.gpu_type if data.gpu_type in catalogue.GPU_TYPES else None)]
    needs_cuda = _needs_cuda(config)
    workers = await workers_service.list_live(session=session, heartbeat_seconds=settings.worker_heartbeat_seconds)
    return workers_service.local_targets(workers, needs_cuda=needs_cuda) or [
        Target.standard_worker(cuda=needs_cuda, unsloth=config.provider == "unsloth")
    ]


DEVICES_HINT = "start a worker with more GPUs (or TUNEFORGE_WORKER_CPU_PROCESSES on a CPU worker)"


async def _check_devices(*, session: AsyncSession, settings: Settings, data: JobCreate) -> None:
    """A job on N devices runs on one machine with N of them: on Modal one container (at most 8 GPUs of a
    type, 4 A10Gs); locally a live worker that takes the job and offers N (`max_devices`, which it
    reported). Refused before queueing otherwise: no worker would ever start it."""
    wanted = data.devices
    if wanted <= 1:
        return
    if data.executor == Executor.modal:
        gpu = catalogue.GPU_TYPES.get(data.gpu_type or "")
        most = gpu.max_per_container if gpu else max(g.max_per_container for g in catalogue.GPU_TYPES.values())
        if wanted > most:
            raise BadRequest(
                f"Modal attaches at most {most} {data.gpu_type or 'GPU'}s to one container; this job asks for {wanted} "
                f"devices. Pick {most} or fewer."
            )
        return
    live = await workers_service.list_live(session=session, heartbeat_seconds=settings.worker_heartbeat_seconds)
    workers = workers_service.local_workers(live, needs_cuda=_needs_cuda(data))
    best = max(workers, key=workers_service.max_devices, default=None)
    if best is None:
        raise BadRequest(
            f"No live worker can run one job on {wanted} devices: no worker that would take this job is online. "
            f"Pick 1 device, or {DEVICES_HINT}."
        )
    most = workers_service.max_devices(best)
    if most < wanted:
        raise BadRequest(
            f"No live worker can run one job on {wanted} devices: the most any worker offers is {most} (worker {best.name}). "
            f"Pick {most} device{'s' if most > 1 else ''}, or {DEVICES_HINT}."
        )


async def estimate_targets(
    *, session: AsyncSession, settings: Settings, spec: TrainingSpec, executor: Executor, gpu_type: str | None
) -> dict[str, Any]:
    """Memory fit, time and cost of the spec where it would run: the chosen target and the alternatives.
    A job on N devices is estimated on the workers that offer N, and on Modal with N GPUs."""
    from tuneforge.training.estimate import estimate

    targets: list[dict[str, Any]] = []
    workers = await workers_service.list_live(session=session, heartbeat_seconds=settings.worker_heartbeat_seconds)
    seen: set[str] = set()
    for worker in workers:
        if workers_service.max_devices(worker) < spec.devices:
            continue  # it would never start this job
        for device in worker.devices:
            key = f"{device.get('type')}:{device.get('name')}"
            if key in seen:
                continue
            seen.add(key)
            targets.append({"executor": "local", "worker": worker.name, "device": device})
    for gpu in catalogue.GPU_TYPES.values():
        if spec.devices <= gpu.max_per_container:
            targets.append({"executor": "modal", "gpu_type": gpu.name, "device": gpu.as_device()})

    def run_all() -> list[dict[str, Any]]:
        results = []
        for target in targets:
            try:
                # Every phase of the run (start-up, loading, tokenising, steps, saving, evaluation) on
                # this device, run by this executor: training/estimate.py.
                result = estimate(spec, target["device"], executor=target["executor"])
            except (ValueError, KeyError) as exc:
                result = {"error": str(exc)}
            else:
                _add_cost(result, target, spec.devices)
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


def _add_cost(result: dict[str, Any], target: dict[str, Any], devices: int) -> None:
    """A Modal run is billed for its whole wall time (container start included), for each of its
    `devices` GPUs: the cost of the estimate's range."""
    if target["executor"] != "modal" or result.get("wall_seconds") is None:
        return
    for key, seconds in (("cost_usd", "wall_seconds"), ("cost_usd_low", "wall_seconds_low"), ("cost_usd_high", "wall_seconds_high")):
        result[key] = catalogue.cost_usd(target["gpu_type"], result[seconds], devices)


async def _check_executor(*, session: AsyncSession, settings: Settings, user: User, team_id: uuid.UUID, data: JobCreate) -> None:
    if data.executor == Executor.modal:
        if data.gpu_type not in catalogue.GPU_TYPES:
            raise BadRequest(f"Pick a Modal GPU type: one of {', '.join(catalogue.GPU_NAMES)}.")
        # The member's own token, else the team's (nothing decrypted: the worker does that when it runs).
        token, _ = await team_credentials.which(session=session, user_id=user.id, team_id=team_id, provider=Provider.modal)
        if token is None:
            raise BadRequest("Running on Modal needs a Modal token: add yours in Settings (or ask an admin to set the "
                             "team's on the Team page), then launch again.")
        for field, value in data.model_references().items():
            if names_a_server_folder(value):
                raise BadRequest(
                    f"Modal runs load models by bundled name or from the Hugging Face Hub; {field} names a folder on "
                    "this server, which cannot be sent yet. Run this job locally."
                )
    elif data.gpu_type:
        raise BadRequest("gpu_type is only for Modal runs; local jobs run on whatever the worker has.")


@dataclass
class Launch:
    """A validated launch: what is stored, what runs, and where it would fit."""

    job_id: uuid.UUID
    config: JobConfig
    version: DatasetVersion
    dataset: Dataset
    spec: TrainingSpec
    facts: dict[str, Any]
    estimates: dict[str, Any]


async def prepare_launch(
    *, session: AsyncSession, settings: Settings, storage: Storage, team_id: uuid.UUID, user: User, data: JobCreate,
    estimate_only: bool = False,
) -> Launch:
    """Everything a launch checks, in order. An estimate skips only what launching needs and pricing
    does not (a saved Modal token, a reachable Hub), so costs can be compared before setting up."""
    if data.debug != DebugSpec() and settings.environment != "test":
        raise BadRequest(
            "Test hooks are disabled on this server: 'debug' (step_delay_s, force_oom_when_batch_above) is accepted "
            "only when TuneForge runs in test mode. Remove 'debug' from the job settings."
        )
    if not estimate_only:
        await _check_executor(session=session, settings=settings, user=user, team_id=team_id, data=data)
    await _check_devices(session=session, settings=settings, data=data)
    # Every model the job names (base model, reward model, ...) through the one allow-list, before
    # anything looks at a path; a job output is stored as `storage:jobs/<id>/output`.
    config = await check_model_references(
        session=session, settings=settings, storage=storage, cache_dir=model_cache_dir(storage), team_id=team_id,
        config=data.job_config(), check_hub=data.executor == Executor.local and not estimate_only,
    )
    version, dataset, files = await _versions_of(session=session, team_id=team_id, config=config)
    job_id = uuid.uuid4()
    cuda = data.executor == Executor.modal or _needs_cuda(config)
    try:
        spec = resolve_training_spec(config=config, storage=storage, job_id=job_id, resume=False, files=files,
                                     model_folders=await load_model_folders(session=session, config=config))
    except ValidationError as exc:
        raise _bad_settings(exc) from exc
    targets = await launch_targets(session=session, settings=settings, data=data, config=config)
    try:
        facts = await asyncio.to_thread(check_training_spec, spec, targets)
    except BadRequest as exc:  # the library names files by their paths: show them as users see them
        raise BadRequest(redact(exc.detail, storage)) from exc
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
    from tuneforge.registry import service as registry_service  # the registry imports jobs: looked up here, not at import

    register_as = await registry_service.check_register_as(session=session, team_id=team_id, register_as=data.register_as)
    job = Job(
        id=job_id,
        team_id=team_id,
        created_by=user.id,
        name=data.name or f"{data.method.upper()} {data.adapter} · {config.base_model} · {dataset.name} v{version.number}",
        method=data.method,
        adapter=data.adapter,
        base_model=config.base_model,
        dataset_version_id=version.id,
        config=config.model_dump(mode="json"),
        estimate=redact_tree(estimates, storage),
        executor=data.executor,
        gpu_type=data.gpu_type,
        needs_cuda=_needs_cuda(config),
        auto_resume=data.auto_resume,
        timeout_minutes=data.timeout_minutes,
        cloned_from_id=cloned_from,
        register_as=register_as,
        queued_at=datetime.now(UTC),
    )
    # Team limits, under the team's quota lock held until this transaction commits: nothing is queued past them.
    await quotas.check_launch(session=session, team_id=team_id, actor=user, executor=data.executor,
                              estimate_usd=_estimated_usd(estimates), attempted="job.launch")
    billed = await _bill_the_actor(session=session, job=job, user=user)
    # The row is born queued: the lifecycle adds it, with its first status event.
    await _enqueue(session=session, job=job, message=_with_billing(f"queued by {user.display_name}", billed), **billed)
    await _audit(session, job, user, "job.launched", cloned_from=str(cloned_from) if cloned_from else None,
                 dataset=f"{dataset.name} v{version.number}", base_model=config.base_model)
    return job


async def _audit(session: AsyncSession, job: Job, user: User | None, action: str, **detail: Any) -> None:
    await audit.record(session, action=action, actor=user, team_id=job.team_id, target_type="job", target_id=job.id,
                       target_label=job.name,
                       detail={"executor": str(job.executor), "status": str(job.status), **detail})


async def _bill_the_actor(*, session: AsyncSession, job: Job, user: User) -> dict[str, str]:
    """A Modal job is billed to whoever launches, retries or resumes it (jobs/billing.py): BadRequest, with
    nothing changed, when they have no Modal token. Returns the status event's billing fields."""
    if job.executor != Executor.modal:
        return {}
    hint, source = await billing.require_token(session=session, user=user, team_id=job.team_id)
    job.billed_user_id = user.id
    job.credential_sources = {**(job.credential_sources or {}), "modal": source}
    return {"billed_to": user.display_name, "billed_token": hint}


def _estimated_usd(estimates: dict[str, Any] | None) -> float | None:
    """What the launch's estimate says a Modal run would cost (for the Modal budget's refusal)."""
    chosen = (estimates or {}).get("chosen") or {}
    return chosen.get("cost_usd") if chosen.get("executor") == "modal" else None


def _with_billing(message: str, billing_fields: dict[str, str]) -> str:
    if not billing_fields:
        return message
    return f"{message}; billed to {billing_fields['billed_to']}'s Modal token ({billing_fields['billed_token']})"


async def _enqueue(*, session: AsyncSession, job: Job, message: str, **event_fields: Any) -> None:
    await lifecycle.transition(session=session, job=job, to=JobStatus.queued, message=message, **event_fields)
    # Fairness across teams: a team with many jobs waiting gets a lower priority for its next one.
    waiting = await session.scalar(
        select(func.count()).select_from(Job).where(Job.team_id == job.team_id, Job.status == JobStatus.queued, Job.id != job.id)
    )
    await queue.enqueue_job(session=session, job=job, priority=-int(waiting or 0))


async def list_jobs(
    *, session: AsyncSession, team_id: uuid.UUID, status: str | None, method: str | None, created_by: uuid.UUID | None,
    limit: int, offset: int, q: str | None = None,
) -> tuple[list[tuple[Job, str | None]], int]:
    return await repository.list_in_team(
        session=session, team_id=team_id, status=status, method=method, created_by=created_by, limit=limit, offset=offset,
        q=q,
    )


async def creator_name(*, session: AsyncSession, job: Job) -> str | None:
    return await repository.creator_name(session=session, job=job)


async def cancel_job(*, session: AsyncSession, job: Job, user: User) -> Job:
    if job.status.terminal:
        raise Conflict(f"This job is already {job.status.value}; there is nothing to cancel.")
    if job.status == JobStatus.cancelling:
        return job
    await _audit(session, job, user, "job.cancelled")
    if job.queue_job_id is not None:
        await queue.request_abort(session=session, queue_job_id=job.queue_job_id)
    if job.status == JobStatus.running:
        await lifecycle.transition(
            session=session, job=job, to=JobStatus.cancelling,
            message=f"cancel requested by {user.display_name}; saving a checkpoint",
        )
    else:  # queued or interrupted: nothing runs, stop at once
        message = f"cancelled by {user.display_name} before it ran" if job.attempt == 0 else f"cancelled by {user.display_name}"
        await lifecycle.transition(session=session, job=job, to=JobStatus.cancelled, message=message)
    return job


async def retry_job(*, session: AsyncSession, storage: Storage, job: Job, user: User) -> Job:
    if not (job.status in (JobStatus.failed, JobStatus.cancelled) or job.status == JobStatus.interrupted):
        raise Conflict(f"Only failed, cancelled or interrupted jobs can be retried; this one is {job.status.value}.")
    await quotas.check_launch(session=session, team_id=job.team_id, actor=user, executor=job.executor,
                              estimate_usd=_estimated_usd(job.estimate), attempted="job.retry")
    billed = await _bill_the_actor(session=session, job=job, user=user)  # before anything is deleted
    # A retry starts from scratch; resume keeps the checkpoints.
    await asyncio.to_thread(storage.delete, output_key(job.id))
    _reset_for_queue(job)
    job.last_checkpoint = None
    job.output_bytes = None  # its output was just deleted
    job.step = 0
    await _enqueue(session=session, job=job, message=_with_billing(f"retried from scratch by {user.display_name}", billed), **billed)
    await _audit(session, job, user, "job.retried")
    return job


async def resume_job(*, session: AsyncSession, storage: Storage, job: Job, user: User) -> Job:
    if job.status not in (JobStatus.failed, JobStatus.cancelled, JobStatus.interrupted):
        raise Conflict(f"Only stopped jobs can be resumed; this one is {job.status.value}.")
    if not await asyncio.to_thread(has_checkpoint, storage, job.id):
        raise Conflict("This job saved no checkpoint, so there is nothing to resume from. Use Retry to start again.")
    await quotas.check_launch(session=session, team_id=job.team_id, actor=user, executor=job.executor,
                              estimate_usd=_estimated_usd(job.estimate), attempted="job.resume")
    billed = await _bill_the_actor(session=session, job=job, user=user)
    _reset_for_queue(job)
    await _enqueue(
        session=session, job=job, message=_with_billing(f"resumed from the last checkpoint by {user.display_name}", billed), **billed
    )
    await _audit(session, job, user, "job.resumed")
    return job


def _reset_for_queue(job: Job) -> None:
    """The outcome of the last run is cleared; `_enqueue` then moves the job to queued."""
    job.error_kind = None
    job.hint = None
    job.exit_code = None
    job.queued_at = datetime.now(UTC)


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` applied: nested mappings are merged key by key, anything else replaced."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def stored_config(job: Job) -> JobConfig:
    """The job's configuration, as stored in `job.config`."""
    return JobConfig.model_validate(job.config)


def launch_settings(job: Job, overrides: dict[str, Any] | None = None) -> JobCreate:
    """The job's settings as the wizard submits them (its JobConfig plus how it ran), with `overrides`
    deep-merged in and validated: what /jobs/{id}/config shows and Clone launches. Raises pydantic's
    ValidationError when the overrides do not fit."""
    overrides = overrides or {}
    config = stored_config(job)
    base = {
        **config.model_dump(mode="json"),
        # "Run again" keeps the name the job was shown with.
        "name": config.name or job.name,
        "executor": job.executor.value,
        "gpu_type": job.gpu_type,
        "auto_resume": job.auto_resume,
        "timeout_minutes": job.timeout_minutes,
    }
    if overrides.get("preset") and overrides["preset"] != config.preset:
        base["hyperparameters"] = _set_by_hand(config)
    return JobCreate.model_validate(deep_merge(base, overrides))


def _set_by_hand(config: JobConfig) -> dict[str, Any]:
    """The hyperparameters neither the old preset nor the defaults filled in: what stays when the
    preset changes (the new preset fills the rest, as in the wizard)."""
    filled = preset_hyperparameters(config.method, config.preset) if config.preset else {}
    defaults = {name: field.default for name, field in Hyperparameters.model_fields.items()}
    return {
        key: value
        for key, value in config.hyperparameters.model_dump(mode="json").items()
        if value != filled.get(key, defaults.get(key))
    }


async def runnable_spec(*, session: AsyncSession, storage: Storage, job: Job) -> TrainingSpec:
    """The spec the job runs (or ran), as users see it (`for_display`: no server paths): what its worker
    resolved, else resolved now the same way."""
    if job.resolved_spec:
        return for_display(TrainingSpec.model_validate(job.resolved_spec), storage)
    config = stored_config(job)
    files = await load_version_files(session=session, version_ids=config.version_ids())
    spec = resolve_training_spec(config=config, storage=storage, job_id=job.id, resume=False, files=files,
                                 model_folders=await load_model_folders(session=session, config=config))
    return for_display(spec, storage)


async def delete_job(*, session: AsyncSession, storage: Storage, job: Job, user: User | None = None) -> None:
    if job.status.active:
        raise Conflict(f"This job is {job.status.value}. Cancel it first, then delete it.")
    await _audit(session, job, user, "job.deleted")
    await session.delete(job)
    await session.flush()
    await asyncio.to_thread(storage.delete, f"jobs/{job.id}")


async def list_events(*, session: AsyncSession, job_id: uuid.UUID, after_seq: int, limit: int) -> list[JobEvent]:
    return await repository.events_after(session=session, job_id=job_id, after_seq=after_seq, limit=limit)


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


# Weights do not compress; text (configs, tokenizer, metrics) does.
_STORED_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".zip", ".gz")
_ARCHIVE_CHUNK = 1 << 20


def is_checkpoint_file(relative: str) -> bool:
    """A file of a training checkpoint (checkpoints/checkpoint-N/..., or checkpoint-N/... of older runs)."""
    first = relative.split("/", 1)[0]
    return first == CHECKPOINT_DIR or first.startswith("checkpoint-")


def result_files(*, storage: Storage, job: Job) -> list[tuple[Path, str]]:
    """The job's result (adapter or full model, tokenizer, model card, metrics, evaluation) without
    its checkpoints: (file, path inside the output folder). Links are left out: nothing outside
    the job's storage is ever read."""
    root = storage.path(output_key(job.id))
    if not root.is_dir():
        return []
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink() or not path.is_file() or is_checkpoint_file(relative):
            continue
        files.append((path, relative))
    return files


class _Chunks(io.RawIOBase):
    """A write-only, unseekable buffer: zipfile then writes sizes after each file's data, so an
    archive streams out while it is built."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _zip_stream(files: list[tuple[Path, str]], folder: str) -> Iterator[bytes]:
    buffer = _Chunks()
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        for path, relative in files:
            info = zipfile.ZipInfo.from_file(path, f"{folder}/{relative}")
            info.compress_type = zipfile.ZIP_STORED if path.suffix in _STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
                while chunk := source.read(_ARCHIVE_CHUNK):
                    target.write(chunk)
                    yield buffer.take()
            yield buffer.take()
    yield buffer.take()


def archive_name(job: Job) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", job.name).strip("-._")[:80]
    return f"{slug or 'job'}-{str(job.id)[:8]}"


def result_archive(*, storage: Storage, job: Job) -> tuple[str, Iterator[bytes]]:
    """(file name without .zip, the zip's bytes as they are made): the result files of
    `result_files`, read from storage one chunk at a time - no copy of the model on disk or in memory."""
    files = result_files(storage=storage, job=job)
    if not files:
        raise NotFound("This job has no result files yet: they are saved when training finishes.")
    name = archive_name(job)
    return name, _zip_stream(files, name)


async def jobs_using_versions(session: AsyncSession, version_ids: list[uuid.UUID]) -> list[str]:
    """Jobs that trained (or will train) on these dataset versions: a dataset they use is not deleted."""
    rows = await repository.using_versions(session=session, version_ids=version_ids)
    return [f"job '{job.name}' ({job.status.value})" for job in rows]


datasets_service.VERSION_USAGE_CHECKS.append(jobs_using_versions)


GPU_DEVICE_TYPES = frozenset({"cuda", "mps"})


def compute_seconds(job: Job, device_type: str | None, now: datetime) -> tuple[float, float]:
    """A job's (GPU seconds, CPU seconds), the rule documented in docs/api/jobs.md ("Compute hours"):
    - billed GPU time (`gpu_seconds`, measured by the cloud executor) when there is one;
    - else its run time, from its first start to its end (`finished_at`; now while it runs; its last
      update if it stopped without finishing, e.g. interrupted), on
      - GPU: Modal jobs, and local jobs whose trainer reported a CUDA or Apple (MPS) device,
      - CPU: local jobs whose trainer reported the CPU;
      a job that stopped before its trainer reported a device counts as GPU if it required CUDA, else CPU.
    Jobs that never started count nothing."""
    if job.gpu_seconds is not None:
        return job.gpu_seconds, 0.0
    if job.started_at is None:
        return 0.0, 0.0
    if job.finished_at is not None:
        end = job.finished_at
    elif job.status in (JobStatus.running, JobStatus.cancelling):
        end = now
    else:
        end = job.updated_at or job.started_at
    seconds = max(0.0, (end - job.started_at).total_seconds())
    on_gpu = job.executor == Executor.modal or (
        device_type in GPU_DEVICE_TYPES if device_type is not None else job.needs_cuda
    )
    return (seconds, 0.0) if on_gpu else (0.0, seconds)


async def create_template(*, session: AsyncSession, team_id: uuid.UUID, user: User, data: TemplateCreate) -> JobTemplate:
    if await repository.template_name_taken(session=session, team_id=team_id, name=data.name):
        raise Conflict(f"A template named '{data.name}' already exists in this team. Pick another name.")
    template = JobTemplate(team_id=team_id, created_by=user.id, name=data.name, description=data.description, config=data.config)
    session.add(template)
    await session.flush()
    return template


async def delete_template(*, session: AsyncSession, template_id: uuid.UUID, user: User) -> None:
    """Members of the template's team may delete it; to anyone else it does not exist."""
    template = await repository.get_template_for_member(
        session=session, template_id=template_id, user_id=user.id, min_role=Role.member
    )
    await session.delete(template)
