"""Runs one training job on a worker: the training subprocess (or a Modal run), its events, its outcome.

The trainer writes JSON-lines events on stdout; they are relayed in small batches into
`job_event` rows (with NOTIFY) while the job row keeps the latest progress. The subprocess is
tied to the worker's life (PR_SET_PDEATHSIG), so a dead worker never leaves a trainer behind;
its job is then resumed elsewhere from the last checkpoint.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import json
import logging
import os
import signal
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

from tuneforge.jobs import queue
from tuneforge.jobs.event_store import announce, announce_job_change, append_events, status_event
from tuneforge.jobs.models import Executor, Job, JobStatus
from tuneforge.jobs.resolve import has_checkpoint, output_key, training_spec_dict
from tuneforge.storage import Storage
from tuneforge.training import catalogue

log = logging.getLogger("tuneforge.worker.supervisor")

FLUSH_INTERVAL_S = 1.0  # only a safety net: every new event wakes the writer at once
FLUSH_MAX_EVENTS = 500
LINGER_AFTER_S = 0.05
LINGER_S = 0.03
STDERR_TAIL_LINES = 40
PROGRESS_ANNOUNCE_S = 2.0
# How long a trainer gets to save its checkpoint after SIGTERM before it is killed.
STOP_GRACE_S = 120.0

SIGNAL_HINTS = {
    signal.SIGKILL: "likely out of host memory (the kernel's OOM killer) — try a smaller batch size, "
    "QLoRA, gradient checkpointing, or a machine with more RAM",
    signal.SIGSEGV: "a native library crashed — check the stderr tail; retrying on another worker may help",
    signal.SIGABRT: "a native library aborted — check the stderr tail",
}


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it if the worker dies, whatever the cause."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the reaper still resumes the job, the trainer may linger
        pass


def describe_exit(returncode: int | None) -> tuple[str, str]:
    """(message, hint) for a trainer that ended without saying why."""
    if returncode is None:
        return "the training process did not report an outcome", "Retry the job; if it repeats, check the worker's logs."
    if returncode < 0:
        sig = signal.Signals(-returncode)
        hint = SIGNAL_HINTS.get(sig, "check the stderr tail")
        return f"training process was killed (signal {-returncode}, {sig.name}) — {hint.split(' — ')[0]}", hint
    return (
        f"training process exited with code {returncode} without reporting an outcome",
        "Check the stderr tail below; retry once the cause is fixed.",
    )


@dataclass
class RunOutcome:
    terminal: dict[str, Any] | None = None
    returncode: int | None = None
    stderr_tail: str = ""
    gpu_seconds: float | None = None
    cost_usd: float | None = None


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

    def add(self, event: dict[str, Any]) -> None:
        if event.get("type") in ("finished", "failed", "cancelled"):
            self.terminal = event
        self.buffer.append(event)
        self.wake.set()

    async def flush(self) -> None:
        while self.buffer:
            batch, self.buffer = self.buffer[:FLUSH_MAX_EVENTS], self.buffer[FLUSH_MAX_EVENTS:]
            await self.runner.store_events(self.job_id, batch, self.attempt, self.team_id)

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
        heartbeat_seconds: float = 10.0,
        modal_executor_factory: Callable[[], Any] | None = None,
        trainer_command: Sequence[str] = (sys.executable, "-m", "tuneforge.training", "run"),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.worker_name = worker_name
        self.team_max_running_jobs = team_max_running_jobs
        self.devices = devices or []
        self.heartbeat_seconds = heartbeat_seconds
        self.modal_executor_factory = modal_executor_factory
        # The trainer is `<command> <spec.json>`; benchmarks swap in a stand-in that only emits events.
        self.trainer_command = list(trainer_command)
        self.shutting_down = False
        self._children: dict[uuid.UUID, asyncio.subprocess.Process] = {}
        self._announced: dict[uuid.UUID, float] = {}

    # -- database helpers --------------------------------------------------------------------

    async def store_events(self, job_id: uuid.UUID, events: list[dict[str, Any]], attempt: int, team_id: uuid.UUID | None = None) -> bool:
        """One short transaction per batch: events, progress summary and NOTIFY together."""
        progress = progress_fields(events)
        async with self.sessionmaker() as session:
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
            if job.executor == Executor.modal:
                outcome = await self._run_modal(job, spec, relay)
            else:
                outcome = await self._run_local(job, spec, relay)
        except asyncio.CancelledError:
            # procrastinate cancels this task when the job is aborted; the trainer was told to stop
            # in _run_local's own handler. Record what happened, then let the cancellation through.
            outcome.terminal = relay.terminal
            done.set()
            await asyncio.shield(pump)
            await asyncio.shield(self._finish(job_id, outcome, relay.terminal, time.monotonic() - t0))
            raise
        except Exception as exc:  # noqa: BLE001 — any executor failure becomes a failed job, never a dead worker
            log.exception("job %s: executor failed", job_id)
            relay.add({"type": "failed", "time": time.time(), "kind": "runtime", "message": f"could not run the job: {exc}",
                       "hint": "Check the worker's log; retry the job."})
        done.set()
        await pump
        outcome.terminal = relay.terminal
        await self._finish(job_id, outcome, relay.terminal, time.monotonic() - t0)

    async def _start(self, job_id: uuid.UUID) -> tuple[Job, dict[str, Any]] | None:
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
            if job.executor == Executor.local and await self._better_worker_waits(session, job):
                # Too big for this worker, and a live worker with more memory exists: leave it to that one.
                await queue.enqueue_job(session=session, job=job, delay_seconds=5)
                await session.commit()
                return None
            resuming = job.attempt > 0 and has_checkpoint(self.storage, job.id)
            job.attempt += 1
            job.status = JobStatus.running
            job.worker_name = self.worker_name
            job.started_at = job.started_at or datetime.now(UTC)
            job.message = None
            job.hint = None
            spec = self._resolve_spec(job, resume=resuming)
            job.resolved_spec = spec
            job.output_key = output_key(job.id)
            note = f"resuming from checkpoint {Path(job.last_checkpoint).name}" if resuming and job.last_checkpoint else None
            await append_events(
                session=session,
                job_id=job.id,
                events=[status_event("running", note or f"started on {self.worker_name}", attempt=job.attempt,
                                     worker=self.worker_name, resumed=resuming)],
                attempt=job.attempt,
            )
            await announce_job_change(session=session, job=job)
            await session.commit()
            return job, spec

    async def _better_worker_waits(self, session: AsyncSession, job: Job) -> bool:
        from tuneforge.worker_registry import service as workers_service

        if not self.devices:
            return False
        others = [
            device
            for worker in await workers_service.list_live(session=session, heartbeat_seconds=self.heartbeat_seconds)
            if worker.name != self.worker_name and "local" in worker.executors
            for device in worker.devices
        ]
        spec = self._resolve_spec(job, resume=False)
        return await asyncio.to_thread(placement, spec, self.devices, others) == "elsewhere"

    def _resolve_spec(self, job: Job, *, resume: bool) -> dict[str, Any]:
        return training_spec_dict(
            job.config,
            storage=self.storage,
            output_dir=self.storage.path(output_key(job.id)),
            cache_dir=self.storage.root.parent / "models",
            resume=resume,
        )

    # -- executors ---------------------------------------------------------------------------

    async def _run_local(self, job: Job, spec: dict[str, Any], relay: _Relay) -> RunOutcome:
        spec_key = f"jobs/{job.id}/attempt-{job.attempt}.spec.json"
        with self.storage.open_write(spec_key) as handle:
            handle.write(json.dumps(spec, indent=2).encode())
        env = dict(os.environ, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false", TRL_EXPERIMENTAL_SILENCE="1")
        process = await asyncio.create_subprocess_exec(
            *self.trainer_command, str(self.storage.path(spec_key)),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            preexec_fn=_die_with_parent,
            limit=16 * 1024 * 1024,
        )
        self._children[job.id] = process
        stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)

        async def read_stdout() -> None:
            assert process.stdout is not None
            async for raw in process.stdout:
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    event = None
                if not isinstance(event, dict) or "type" not in event:
                    event = {"type": "log", "time": time.time(), "level": "info", "message": line[:2000]}
                relay.add(event)

        async def read_stderr() -> None:
            assert process.stderr is not None
            async for raw in process.stderr:
                stderr_tail.append(raw.decode("utf-8", "replace").rstrip()[:1000])

        readers = asyncio.gather(read_stdout(), read_stderr())
        try:
            await asyncio.shield(readers)
            returncode = await process.wait()
        except asyncio.CancelledError:
            await self._stop_child(process)
            await readers
            await process.wait()
            raise
        finally:
            self._children.pop(job.id, None)
        return RunOutcome(returncode=returncode, stderr_tail="\n".join(stderr_tail))

    async def _stop_child(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)  # the trainer saves a checkpoint, then exits
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), timeout=STOP_GRACE_S)
        except TimeoutError:
            process.kill()

    async def stop_all(self) -> None:
        """Worker shutdown: every trainer saves a checkpoint and stops; their jobs wait to be resumed."""
        self.shutting_down = True
        for process in list(self._children.values()):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)

    async def _run_modal(self, job: Job, spec: dict[str, Any], relay: _Relay) -> RunOutcome:
        from tuneforge.worker import modal_executor

        factory = self.modal_executor_factory or modal_executor.default_executor
        executor = factory()
        async with self.sessionmaker() as session:
            token = await modal_executor.load_token(session=session, job=job)
        outcome = RunOutcome()
        result = await executor.run(
            spec=spec,
            token=token,
            gpu=job.gpu_type or "T4",
            timeout_s=job.timeout_minutes * 60,
            on_event=relay.add,
            output_dir=self.storage.path(output_key(job.id)),
        )
        outcome.gpu_seconds = result.gpu_seconds
        outcome.cost_usd = catalogue.cost_usd(job.gpu_type or "T4", result.gpu_seconds)
        outcome.returncode = result.returncode
        outcome.stderr_tail = result.stderr_tail
        return outcome

    # -- the outcome -------------------------------------------------------------------------

    async def _finish(
        self, job_id: uuid.UUID, outcome: RunOutcome, terminal: dict[str, Any] | None, elapsed_s: float
    ) -> None:
        async with self.sessionmaker() as session:
            job = await session.get(Job, job_id, with_for_update=True)
            if job is None:
                return
            kind = (terminal or {}).get("type")
            job.exit_code = outcome.returncode
            job.stderr_tail = outcome.stderr_tail or None
            if outcome.gpu_seconds is not None:
                job.gpu_seconds = (job.gpu_seconds or 0) + outcome.gpu_seconds
            if outcome.cost_usd is not None:
                job.cost_usd = round((job.cost_usd or 0) + outcome.cost_usd, 4)
            requeue = False
            if kind == "finished":
                job.status = JobStatus.succeeded
                job.result = {"metrics": terminal.get("metrics", {}), "output_dir": terminal.get("output_dir")}
                job.message = "finished"
            elif kind == "failed":
                job.status = JobStatus.failed
                job.error_kind = terminal.get("kind")
                job.message = terminal.get("message")
                job.hint = terminal.get("hint")
            elif kind == "cancelled" and job.status == JobStatus.cancelling:
                job.status = JobStatus.cancelled
                job.message = "cancelled; the checkpoint keeps what was learned — resume to continue"
            elif kind == "cancelled" or self.shutting_down:
                job.status = JobStatus.interrupted
                job.message = f"worker {self.worker_name} stopped; the job resumes from its last checkpoint"
                requeue = job.auto_resume
            elif job.status == JobStatus.cancelling:
                job.status = JobStatus.cancelled
                job.message = "cancelled"
            else:
                job.status = JobStatus.failed
                job.error_kind = "runtime"
                job.message, job.hint = describe_exit(outcome.returncode)
            if job.status.terminal:
                job.finished_at = datetime.now(UTC)
            if requeue:
                await queue.enqueue_job(session=session, job=job)
            fields: dict[str, Any] = {"attempt": job.attempt, "elapsed_s": round(elapsed_s, 1)}
            if job.cost_usd is not None:
                fields["cost_usd"] = job.cost_usd
            await append_events(
                session=session,
                job_id=job.id,
                events=[status_event(job.status.value, job.message, hint=job.hint, exit_code=outcome.returncode, **fields)],
                attempt=job.attempt,
            )
            await announce_job_change(session=session, job=job)
            await session.commit()


def placement(spec: dict[str, Any], mine: list[dict[str, Any]], others: list[dict[str, Any]]) -> str:
    """'here' when this worker's memory fits the run (or nobody's does: it runs here and may
    fall back on its out-of-memory retry), 'elsewhere' when only another live worker's fits."""
    from tuneforge.training.estimate import estimate
    from tuneforge.training.spec import TrainingSpec

    def fits(device: dict[str, Any]) -> bool:
        try:
            return bool(estimate(training_spec, device)["fits"])
        except (ValueError, KeyError):  # unknown model shape: no basis to move the job
            return True

    try:
        training_spec = TrainingSpec.model_validate(spec)
    except ValueError:
        return "here"
    if any(fits(device) for device in mine[:1]):
        return "here"
    return "elsewhere" if any(fits(device) for device in others) else "here"


def progress_fields(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The job row's summary (step, total, latest metrics, checkpoint) after these events."""
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
    return fields
