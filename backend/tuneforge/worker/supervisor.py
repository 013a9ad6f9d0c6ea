"""Runs one training job on a worker: start it, run it through an executor, relay its events, record its outcome.

The executor is the local one (`local_executor`: the training subprocess) or Modal's
(`modal_executor`); both take the spec, the job's time limit and an event callback, and return the
same kind of result. Events are relayed in small batches into `job_event` rows (with NOTIFY) while
the job row keeps the latest progress. Every status change goes through `jobs.lifecycle`.
A dead worker leaves no trainer behind (the local executor ties it to the worker's life); its job
is then resumed elsewhere from the last checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tuneforge.jobs import accuracy, billing, lifecycle, queue
from tuneforge.jobs.event_store import announce, append_events
from tuneforge.jobs.models import Executor, Job, JobStatus
from tuneforge.jobs.base_models import needs_hub
from tuneforge.jobs.resolve import (
    for_display,
    has_checkpoint,
    load_model_folders,
    load_version_files,
    output_key,
    redact,
    redact_tree,
    resolve_training_spec,
)
from tuneforge.jobs.schemas import JobConfig
from tuneforge.registry import service as registry_service
from tuneforge.storage import Storage
from tuneforge.training import catalogue
from tuneforge.training.spec import TrainingSpec
from tuneforge.worker.local_executor import LocalExecutor, describe_exit
from tuneforge.worker_registry import service as workers_service
from tuneforge.worker_registry.models import Worker

log = logging.getLogger("tuneforge.worker.supervisor")

FLUSH_INTERVAL_S = 1.0  # only a safety net: every new event wakes the writer at once
FLUSH_MAX_EVENTS = 500
LINGER_AFTER_S = 0.05
LINGER_S = 0.03
PROGRESS_ANNOUNCE_S = 2.0

TIMEOUT_HINT = (
    "Resume continues from the last checkpoint under the same limit; to allow more time, use "
    "Run again with changes and raise the time limit."
)


def timeout_message(minutes: int, *, checkpoint: bool) -> str:
    """What a job stopped at its time limit says, whichever executor ran it."""
    if checkpoint:
        return (
            f"stopped after the {minutes}-minute time limit; its last checkpoint is kept — "
            "resume it with a longer limit (Run again with changes)"
        )
    return f"stopped after the {minutes}-minute time limit before saving a checkpoint — run it again with a longer limit (Run again with changes)"


def folder_bytes(root: Path) -> int:
    """Bytes of the files under `root` (links not followed); 0 when it does not exist."""
    if not root.is_dir():
        return 0
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


@dataclass
class RunOutcome:
    terminal: dict[str, Any] | None = None
    returncode: int | None = None
    stderr_tail: str = ""
    gpu_seconds: float | None = None
    cost_usd: float | None = None
    timed_out: bool = False

    @classmethod
    def of(cls, result: Any) -> RunOutcome:
        """From an executor's result (local or Modal: the same fields)."""
        return cls(
            returncode=result.returncode, stderr_tail=result.stderr_tail or "", gpu_seconds=result.gpu_seconds,
            timed_out=bool(getattr(result, "timed_out", False)),
        )


@dataclass
class _Relay:
    """Buffers events from the trainer and flushes them to the database in batches."""

    runner: JobRunner
    job_id: uuid.UUID
    attempt: int
    team_id: uuid.UUID | None = None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    terminal: dict[str, Any] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    failing_since: float | None = None  # the first failed write of the batch at the head of the buffer
    # Times the attempt's phases as events pass, for the estimate-against-actual record (jobs/accuracy.py).
    clock: accuracy.PhaseClock = field(default_factory=lambda: accuracy.PhaseClock(time.time()))

    RETRY_FIRST_S = 0.5
    RETRY_MAX_S = 5.0
    GIVE_UP_WHEN_STOPPING_S = 30.0

    def add(self, event: dict[str, Any]) -> None:
        # Events are shown to users: paths in them (checkpoints, the output folder, error messages)
        # in the `storage:` convention, never the storage root or the data directory.
        event = redact_tree(event, self.runner.storage)
        if event.get("type") in ("finished", "failed", "cancelled"):
            self.terminal = event
        self.clock.observe(event)
        self.buffer.append(event)
        self.wake.set()

    async def flush(self) -> None:
        """Stores the buffer oldest first. A batch that cannot be written (the database is away)
        stays at the head of the buffer and is written again, after a growing pause, until it is
        stored: nothing is dropped, and `store_events` makes sure that a batch whose commit went
        unanswered is not stored twice. Only a worker shutting down gives up, after a while."""
        delay = self.RETRY_FIRST_S
        while self.buffer:
            batch = self.buffer[:FLUSH_MAX_EVENTS]
            try:
                await self.runner.store_events(
                    self.job_id, batch, self.attempt, self.team_id, check_stored=self.failing_since is not None
                )
            except Exception as exc:  # noqa: BLE001 — keep the batch; retry
                now = time.monotonic()
                if self.failing_since is None:
                    self.failing_since = now
                    log.warning("job %s: cannot store events (%s); keeping them and retrying", self.job_id, type(exc).__name__)
                if self.runner.shutting_down and now - self.failing_since > self.GIVE_UP_WHEN_STOPPING_S:
                    log.error("job %s: worker stopping; %d events could not be stored", self.job_id, len(self.buffer))
                    self.buffer.clear()
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.RETRY_MAX_S)
                continue
            del self.buffer[: len(batch)]
            if self.failing_since is not None:
                log.warning("job %s: events are stored again", self.job_id)
                self.failing_since = None
            delay = self.RETRY_FIRST_S

    async def pump(self, done: asyncio.Event) -> None:
        """Writes as soon as something arrives; what arrives during a write goes in the next batch,
        so batches grow with the event rate and latency stays one round-trip."""
        last_flush = 0.0
        while not done.is_set():
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=FLUSH_INTERVAL_S)
            except TimeoutError:
                pass
            if time.monotonic() - last_flush < LINGER_AFTER_S:
                # Events are coming fast (tiny steps): gather a few more per transaction, so the
                # relay takes less CPU from the trainer, well inside the latency budget.
                await asyncio.sleep(LINGER_S)
            self.wake.clear()
            last_flush = time.monotonic()
            await self.flush()
        await self.flush()


class JobRunner:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        storage: Storage,
        worker_name: str,
        team_max_running_jobs: int = 2,
        devices: list[dict[str, Any]] | None = None,
        max_devices: int | None = None,
        heartbeat_seconds: float = 10.0,
        modal_executor_factory: Callable[[], Any] | None = None,
        trainer_command: Sequence[str] = (sys.executable, "-m", "tuneforge.training", "run"),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.worker_name = worker_name
        self.team_max_running_jobs = team_max_running_jobs
        self.devices = devices or []
        # Devices one job may train on here (capabilities["max_devices"]: its GPUs, or CPU processes).
        self.max_devices = max_devices or workers_service.devices_offered(self.devices)
        self.heartbeat_seconds = heartbeat_seconds
        self.modal_executor_factory = modal_executor_factory
        # The trainer is `<command> <spec.json>`; benchmarks swap in a stand-in that only emits events.
        self.trainer_command = list(trainer_command)
        self.local_executor = LocalExecutor(command=self.trainer_command)
        self.shutting_down = False
        self._announced: dict[uuid.UUID, float] = {}

    # -- database helpers --------------------------------------------------------------------

    async def store_events(
        self, job_id: uuid.UUID, events: list[dict[str, Any]], attempt: int, team_id: uuid.UUID | None = None,
        *, check_stored: bool = False,
    ) -> bool:
        """One short transaction per batch: events, progress summary and NOTIFY together.

        `check_stored`: this batch was written before and the write failed, maybe after the commit
        went through (the connection dropped before the answer); if its last event is stored (a
        batch is stored whole or not at all), nothing is written again."""
        progress = progress_fields(events)
        async with self.sessionmaker() as session:
            if check_stored:
                import json

                from sqlalchemy import text

                stored = await session.scalar(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM job_event WHERE job_id = :job_id AND attempt = :attempt "
                        "AND data = CAST(:data AS jsonb))"
                    ),
                    {"job_id": job_id, "attempt": attempt, "data": json.dumps(events[-1])},
                )
                if stored:
                    return False
            await append_events(session=session, job_id=job_id, events=events, attempt=attempt, progress=progress)
            announce_now = team_id is not None and bool(progress) and self._progress_due(job_id)
            if announce_now:
                await announce(session=session, team_id=team_id, job_id=job_id, status="running")
            await session.commit()
        return announce_now

    def _progress_due(self, job_id: uuid.UUID) -> bool:
        """List and dashboard views hear about progress at most every PROGRESS_ANNOUNCE_S per job."""
        now = time.monotonic()
        if now - self._announced.get(job_id, 0.0) >= PROGRESS_ANNOUNCE_S:
            self._announced[job_id] = now
            return True
        return False

    # -- the task body -----------------------------------------------------------------------

    async def run(self, job_id: uuid.UUID) -> None:
        started = await self._start(job_id)
        if started is None:
            return
        job, spec = started
        attempt = job.attempt
        outcome = RunOutcome()
        relay = _Relay(self, job_id, attempt, job.team_id)
        done = asyncio.Event()
        pump = asyncio.create_task(relay.pump(done))
        t0 = time.monotonic()
        try:
            if job.executor == Executor.local and spec.devices > self.max_devices:
                # No live worker offers its devices (`_start` leaves it to one that does): it fails, saying so.
                relay.add(self._too_few_devices(spec.devices))
            elif job.executor == Executor.modal:
                outcome = await self._run_modal(job, spec, relay)
            else:
                outcome = await self._run_local(job, spec, relay)
        except asyncio.CancelledError:
            # procrastinate cancels this task when the job is aborted; the trainer was told to stop
            # in the local executor's own handler. Record what happened, then let the cancellation through.
            outcome.terminal = relay.terminal
            done.set()
            await asyncio.shield(pump)
            await asyncio.shield(self._finish(job_id, outcome, relay.terminal, time.monotonic() - t0, attempt=attempt, clock=relay.clock))
            raise
        except Exception as exc:  # noqa: BLE001 — any executor failure becomes a failed job, never a dead worker
            log.exception("job %s: executor failed", job_id)
            relay.add({"type": "failed", "time": time.time(), "kind": "runtime", "message": f"could not run the job: {exc}",
                       "hint": "Check the worker's log; retry the job."})
        done.set()
        await pump
        outcome.terminal = relay.terminal
        await self._finish(job_id, outcome, relay.terminal, time.monotonic() - t0, attempt=attempt, clock=relay.clock)

    async def _start(self, job_id: uuid.UUID) -> tuple[Job, TrainingSpec] | None:
        async with self.sessionmaker() as session:
            job = await session.get(Job, job_id, with_for_update=True)
            if job is None or job.status not in (JobStatus.queued, JobStatus.interrupted):
                return None
            running = await session.scalar(
                select(func.count()).select_from(Job).where(
                    Job.team_id == job.team_id, Job.status.in_([JobStatus.running, JobStatus.cancelling]), Job.id != job.id
                )
            )
            if running >= self.team_max_running_jobs:
                # Fairness: this team already uses its share; look again shortly, behind other teams.
                await queue.enqueue_job(session=session, job=job, priority=-1, delay_seconds=10)
                await session.commit()
                return None
            wanted = int((job.config or {}).get("devices") or 1)
            if job.executor == Executor.local and wanted > self.max_devices and await self._offers_devices(session, job, wanted):
                # This worker cannot spread it over that many devices, and a live worker can: leave it to that one.
                await queue.enqueue_job(session=session, job=job, delay_seconds=5)
                await session.commit()
                return None
            if job.executor == Executor.local and await self._better_worker_waits(session, job):
                # Too big for this worker, and a live worker with more memory exists: leave it to that one.
                await queue.enqueue_job(session=session, job=job, delay_seconds=5)
                await session.commit()
                return None
            resuming = job.attempt > 0 and has_checkpoint(self.storage, job.id)
            job.attempt += 1
            job.worker_name = self.worker_name
            job.started_at = job.started_at or datetime.now(UTC)
            job.hint = None
            spec = await self._resolve_spec(session, job, resume=resuming)
            # What JobRead and /spec.yaml show: the spec as run, with no server paths.
            job.resolved_spec = for_display(spec, self.storage).model_dump(mode="json")
            job.output_key = output_key(job.id)
            note = f"resuming from checkpoint {Path(job.last_checkpoint).name}" if resuming and job.last_checkpoint else None
            message = note or f"started on {self.worker_name}"
            # Each attempt's status event records whose Modal token pays for it (jobs/billing.py).
            billed = await self._billing_fields(session, job)
            if billed:
                message += f"; billed to {billed['billed_to']}'s Modal token ({billed['billed_token']})"
            await lifecycle.transition(
                session=session, job=job, to=JobStatus.running, message=message,
                attempt=job.attempt, worker=self.worker_name, resumed=resuming, **billed,
            )
            await session.commit()
            return job, spec

    async def _billing_fields(self, session: AsyncSession, job: Job) -> dict[str, str]:
        """Who pays for this Modal attempt; nothing for local jobs, or when nobody may pay (the run then
        fails in `_run_modal`, saying why)."""
        if job.executor != Executor.modal:
            return {}
        from tuneforge.config import get_settings

        try:
            payer = await billing.payer(session=session, settings=get_settings(), job=job)
        except billing.BillingUnavailable:
            return {}
        return {"billed_to": payer.name, "billed_token": payer.token_hint}

    def _too_few_devices(self, wanted: int) -> dict[str, Any]:
        return {
            "type": "failed", "time": time.time(), "kind": "configuration",
            "message": f"this job asks for {wanted} devices; worker {self.worker_name} offers {self.max_devices} "
                       f"and no live worker offers {wanted}, so it was not run",
            "hint": "Run it again with changes on fewer devices, or start a worker with more GPUs (or "
                    "TUNEFORGE_WORKER_CPU_PROCESSES on a CPU worker) and retry it.",
        }

    async def _live_local_workers(self, session: AsyncSession, job: Job) -> list[Worker]:
        """The other live workers that would take this local job (CUDA ones when it needs CUDA)."""
        live = await workers_service.list_live(session=session, heartbeat_seconds=self.heartbeat_seconds)
        return [w for w in workers_service.local_workers(live, needs_cuda=job.needs_cuda) if w.name != self.worker_name]

    async def _offers_devices(self, session: AsyncSession, job: Job, wanted: int) -> bool:
        """Whether another live worker offers the `wanted` devices this one lacks."""
        return any(workers_service.max_devices(w) >= wanted for w in await self._live_local_workers(session, job))

    async def _better_worker_waits(self, session: AsyncSession, job: Job) -> bool:
        if not self.devices:
            return False
        spec = await self._resolve_spec(session, job, resume=False)
        # Only workers that offer the job's devices could take it; each device's peak is for that many.
        others = [
            device
            for worker in await self._live_local_workers(session, job)
            if workers_service.max_devices(worker) >= spec.devices
            for device in worker.devices
        ]
        return await asyncio.to_thread(placement, spec, self.devices, others) == "elsewhere"

    async def _resolve_spec(self, session: AsyncSession, job: Job, *, resume: bool) -> TrainingSpec:
        """The job's spec, resolved exactly as its launch was validated (jobs.resolve)."""
        config = JobConfig.model_validate(job.config)
        files = await load_version_files(session=session, version_ids=config.version_ids())
        return resolve_training_spec(config=config, storage=self.storage, job_id=job.id, resume=resume, files=files,
                                     model_folders=await load_model_folders(session=session, config=config))

    # -- executors ---------------------------------------------------------------------------

    async def _run_local(self, job: Job, spec: TrainingSpec, relay: _Relay) -> RunOutcome:
        result = await self.local_executor.run(
            spec=spec.model_dump(mode="json"),
            timeout_s=job.timeout_minutes * 60,
            on_event=relay.add,
            output_dir=self.storage.path(output_key(job.id)),
            spec_path=self.storage.path(f"jobs/{job.id}/attempt-{job.attempt}.spec.json"),
            env=await self._trainer_secrets(job, spec),
        )
        return RunOutcome.of(result)

    async def _trainer_secrets(self, job: Job, spec: TrainingSpec) -> dict[str, str]:
        """The secrets the trainer gets besides its allow-listed environment (worker.trainer_env): its
        owner's Hugging Face token as HF_TOKEN — or, when they have none, their team's — only when a model
        the job names comes from the Hub. Which one it was is recorded on the job (`credential_sources`)."""
        if not needs_hub(spec):
            return {}
        from sqlalchemy import update

        from tuneforge.config import get_settings
        from tuneforge.credentials import team_service
        from tuneforge.credentials.models import Provider

        async with self.sessionmaker() as session:
            secret, source = await team_service.resolve_secret(
                session=session, settings=get_settings(), user_id=job.created_by, team_id=job.team_id,
                provider=Provider.huggingface,
            )
            if source is not None:
                await session.execute(
                    update(Job).where(Job.id == job.id)
                    .values(credential_sources=Job.credential_sources.op("||")({"huggingface": source.value}))
                )
                await session.commit()
        return {"HF_TOKEN": secret["token"]} if secret and secret.get("token") else {}

    async def stop_all(self) -> None:
        """Worker shutdown: every trainer saves a checkpoint and stops; their jobs wait to be resumed."""
        self.shutting_down = True
        self.local_executor.stop_all()

    async def _run_modal(self, job: Job, spec: TrainingSpec, relay: _Relay) -> RunOutcome:
        from tuneforge.worker import modal_executor

        factory = self.modal_executor_factory or modal_executor.default_executor
        executor = factory()
        async with self.sessionmaker() as session:
            try:
                # Whoever last launched, retried or resumed the job pays, also for an automatic resume.
                token = await modal_executor.load_token(session=session, job=job)
            except billing.BillingUnavailable as exc:
                # Nobody else is billed instead: the job waits as failed, saying why.
                relay.add({
                    "type": "failed", "time": time.time(), "kind": "billing", "message": str(exc),
                    "hint": "Retry or Resume runs it on the Modal token of whoever presses the button.",
                })
                return RunOutcome()
        result = await executor.run(
            spec=spec,
            token=token,
            gpu=job.gpu_type or "T4",
            timeout_s=job.timeout_minutes * 60,
            on_event=relay.add,
            output_dir=self.storage.path(output_key(job.id)),
            env=await self._trainer_secrets(job, spec),
        )
        outcome = RunOutcome.of(result)
        # One container with N GPUs is billed for each: N times the GPU time and the cost.
        if result.gpu_seconds is not None:
            outcome.gpu_seconds = result.gpu_seconds * spec.devices
        outcome.cost_usd = catalogue.cost_usd(job.gpu_type or "T4", result.gpu_seconds, spec.devices)
        return outcome

    # -- the outcome -------------------------------------------------------------------------

    async def _finish(
        self, job_id: uuid.UUID, outcome: RunOutcome, terminal: dict[str, Any] | None, elapsed_s: float, *, attempt: int,
        clock: accuracy.PhaseClock | None = None,
    ) -> None:
        async with self.sessionmaker() as session:
            job = await session.get(Job, job_id, with_for_update=True)
            if job is None:
                return
            if job.attempt != attempt:
                # This worker was declared dead and the job moved on to a newer attempt elsewhere: the late
                # report of the old attempt must not overwrite the running one.
                log.warning("job %s: attempt %s ended after attempt %s started; its outcome is not recorded",
                            job_id, attempt, job.attempt)
                return
            kind = (terminal or {}).get("type")
            job.exit_code = outcome.returncode
            job.stderr_tail = redact(outcome.stderr_tail, self.storage) or None
            if outcome.gpu_seconds is not None:
                job.gpu_seconds = (job.gpu_seconds or 0) + outcome.gpu_seconds
            if outcome.cost_usd is not None:
                job.cost_usd = round((job.cost_usd or 0) + outcome.cost_usd, 4)
            requeue = False
            to: JobStatus
            message: str | None
            if kind == "finished":
                to, message = JobStatus.succeeded, "finished"
                job.result = {"metrics": terminal.get("metrics", {}), "output_dir": terminal.get("output_dir")}
            elif kind == "failed":
                to, message = JobStatus.failed, terminal.get("message")
                job.error_kind = terminal.get("kind")
                job.hint = terminal.get("hint")
            elif outcome.timed_out and job.status != JobStatus.cancelling:
                # Stopped at its time limit (it saved a checkpoint if it could): a failure, not an interruption.
                to, message = JobStatus.failed, timeout_message(job.timeout_minutes, checkpoint=bool(job.last_checkpoint))
                job.error_kind = "timeout"
                job.hint = TIMEOUT_HINT
            elif kind == "cancelled" and job.status == JobStatus.cancelling:
                to, message = JobStatus.cancelled, "cancelled; the checkpoint keeps what was learned — resume to continue"
            elif kind == "cancelled" or self.shutting_down:
                to, message = JobStatus.interrupted, f"worker {self.worker_name} stopped; the job resumes from its last checkpoint"
                requeue = job.auto_resume
            elif job.status == JobStatus.cancelling:
                to, message = JobStatus.cancelled, "cancelled"
            else:
                to = JobStatus.failed
                job.error_kind = "runtime"
                message, job.hint = describe_exit(outcome.returncode)
            if clock is not None:
                # The attempt's wall time and phases next to its estimate (jobs/accuracy.py).
                timing = accuracy.timing_record(job=job, clock=clock, ended_at=clock.started_at + elapsed_s, worker=self.worker_name)
                job.result = {**(job.result or {}), "timing": timing}
            # What its output now holds, for the team's storage meter (quotas): counted once, here.
            job.output_bytes = await asyncio.to_thread(folder_bytes, self.storage.path(output_key(job.id)))
            fields: dict[str, Any] = {"attempt": job.attempt, "elapsed_s": round(elapsed_s, 1)}
            if job.cost_usd is not None:
                fields["cost_usd"] = job.cost_usd
            try:
                await lifecycle.transition(
                    session=session, job=job, to=to, message=message, hint=job.hint, exit_code=outcome.returncode, **fields
                )
            except lifecycle.IllegalTransition:
                # Someone else decided this job meanwhile (e.g. it was taken over after this worker
                # stopped heartbeating, then finished elsewhere): that record stands.
                log.warning("job %s: not recording %s over %s", job_id, to.value, job.status.value)
                return
            if to == JobStatus.succeeded:
                await self._register_version(session, job, terminal or {})
            if requeue:
                await queue.enqueue_job(session=session, job=job)
            await session.commit()


    async def _register_version(self, session: AsyncSession, job: Job, terminal: dict[str, Any]) -> None:
        """The succeeded job's model version (the registry), in the transaction that records the success. A
        failure to register never undoes the success: it is logged and noted in the job's result."""
        libraries = terminal.get("libraries") or (
            registry_service.modal_libraries() if job.executor == Executor.modal else registry_service.installed_libraries()
        )
        try:
            async with session.begin_nested():
                await registry_service.record_version(session=session, storage=self.storage, job=job, libraries=libraries)
        except Exception as exc:  # noqa: BLE001 — the job's outcome stands whatever the registry says
            log.exception("job %s: could not record its model version", job.id)
            job.result = {**(job.result or {}), "registry_error": redact(f"could not record the model version: {exc}", self.storage)}


def placement(spec: TrainingSpec, mine: list[dict[str, Any]], others: list[dict[str, Any]]) -> str:
    """'here' when this worker's memory fits the run (or nobody's does: it runs here and may
    fall back on its out-of-memory retry), 'elsewhere' when only another live worker's fits. On N
    devices (`spec.devices`) each device's peak is the estimate's for that many (DDP's copy, FSDP's share)."""
    from tuneforge.training.estimate import estimate

    def fits(device: dict[str, Any]) -> bool:
        try:
            return bool(estimate(spec, device)["fits"])
        except (ValueError, KeyError):  # unknown model shape: no basis to move the job
            return True

    if any(fits(device) for device in mine[:1]):
        return "here"
    return "elsewhere" if any(fits(device) for device in others) else "here"


def progress_fields(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The job row's summary (step, total, latest metrics, checkpoint, the trainer's device) after these events."""
    fields: dict[str, Any] = {}
    numbers = lambda event: {k: v for k, v in event.items() if k not in ("type", "time") and isinstance(v, (int, float))}  # noqa: E731
    for event in events:
        kind = event.get("type")
        if kind == "metric":
            if isinstance(event.get("step"), int):
                fields["step"] = event["step"]
            if isinstance(event.get("max_steps"), int) and event["max_steps"] > 0:
                fields["total_steps"] = event["max_steps"]
            fields["latest_metrics"] = numbers(event)
        elif kind == "checkpoint" and event.get("path"):
            fields["last_checkpoint"] = event["path"]
        elif kind == "started":
            total = event.get("total_steps") or event.get("max_steps")
            if isinstance(total, int) and total > 0:
                fields["total_steps"] = total
            device = event.get("device")
            if isinstance(device, dict) and isinstance(device.get("type"), str) and device["type"]:
                fields["device_type"] = device["type"][:16]  # compute hours: GPU or CPU (analytics)
    return fields
