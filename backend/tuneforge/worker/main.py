"""`tuneforge worker`: takes training jobs from the queue and runs them on this host.

It registers itself with its devices (shown by /api/info and the wizard), listens on the queues it
can serve (`local`, plus `local-cuda` with a CUDA device, plus `modal` when allowed), and, like
every worker, watches for jobs whose worker stopped heartbeating: those are marked interrupted and
resumed from their last checkpoint. SIGTERM/SIGINT: running trainers save a checkpoint and stop,
their jobs are re-queued, then the worker exits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Collection
from typing import Any

from procrastinate import JobContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tuneforge import __version__
from tuneforge.audit import service as audit_service
from tuneforge.config import get_settings
from tuneforge.db import make_engine, make_sessionmaker
from tuneforge.jobs import lifecycle, queue
from tuneforge.jobs.models import Job, JobStatus
from tuneforge.playground import service as playground_service
from tuneforge.publishing import service as publishing_service
from tuneforge.worker.playground import PlaygroundServer, default_cache_bytes
from tuneforge.worker.publisher import Publisher, gguf_available
from tuneforge.worker.queue_worker import QueueWorker, transient
from tuneforge.worker.trainer_env import WORKER_ONLY_MARK
from tuneforge.worker.supervisor import JobRunner
from tuneforge.storage import get_storage
from tuneforge.worker_registry import service as workers_service

log = logging.getLogger("tuneforge.worker.main")


def detect_devices() -> list[dict[str, Any]]:
    from tuneforge.training.hardware import detect_devices as detect

    return detect(measure_cpu=True)


def detect_capabilities() -> dict[str, Any]:
    """What this host can train (its Target: CUDA, bf16, packages), reported when registering: the API
    validates jobs and builds /api/info from it, never from its own host."""
    from tuneforge.training import capabilities

    return capabilities()


async def reap_stalled_jobs(
    *, app, sessionmaker: async_sessionmaker[AsyncSession], stalled_after_s: float, running_here: Collection[int] = ()
) -> int:
    """Jobs whose worker stopped heartbeating: mark interrupted and put them back in the queue.

    `running_here`: queue entries this worker is running itself, never taken over by it."""
    stalled = await app.job_manager.get_stalled_jobs(task_name=queue.RUN_JOB_TASK, seconds_since_heartbeat=stalled_after_s)
    reaped = 0
    for queue_job in stalled:
        if queue_job.id in running_here:
            continue
        job_id = uuid.UUID(queue_job.task_kwargs["job_id"])
        async with sessionmaker() as session:
            job = await session.get(Job, job_id, with_for_update=True)
            if job is None:  # deleted meanwhile: nothing to resume
                continue
            cancelling = job.status == JobStatus.cancelling
            # Its worker recorded the outcome, then died before telling the queue: nothing to resume.
            settled = job.status.terminal
            if cancelling:
                await lifecycle.transition(
                    session=session, job=job, to=JobStatus.cancelled,
                    message=f"cancelled; worker {job.worker_name} stopped while saving the checkpoint",
                )
            elif not settled and job.status != JobStatus.interrupted:  # an interrupted one just waits again
                await lifecycle.transition(
                    session=session, job=job, to=JobStatus.interrupted,
                    message=f"worker {job.worker_name} stopped responding; "
                    + ("resuming from the last checkpoint on another worker" if job.auto_resume
                       else "press Resume to continue from the last checkpoint"),
                )
            await session.commit()
        if job.auto_resume and not cancelling and not settled:
            await app.job_manager.retry_job(queue_job)
        else:
            from procrastinate.jobs import Status

            await app.job_manager.finish_job(queue_job, status=Status.FAILED, delete_job=False)
        log.warning("job %s: its worker stopped responding; %s", job_id, job.status.value)
        reaped += 1
    await app.job_manager.prune_stalled_workers(stalled_after_s)
    return reaped


async def reap_stalled_playground(*, app, sessionmaker: async_sessionmaker[AsyncSession], stalled_after_s: float,
                                  running_here: Collection[int] = ()) -> int:
    """Playground answers, batch comparisons and publications whose worker stopped heartbeating: they end
    as failed, saying so (the user asks again; nothing is resumed)."""
    from procrastinate.jobs import Status

    from tuneforge.playground import stream
    from tuneforge.playground.models import BatchCompare, BatchStatus, Generation

    from tuneforge.publishing.models import Publication, PublicationStatus

    reaped = 0
    for task_name in (playground_service.GENERATE_TASK, playground_service.BATCH_TASK, publishing_service.PUBLISH_TASK):
        for queue_job in await app.job_manager.get_stalled_jobs(task_name=task_name, seconds_since_heartbeat=stalled_after_s):
            if queue_job.id in running_here:
                continue
            async with sessionmaker() as session:
                if task_name == playground_service.GENERATE_TASK:
                    row = await session.get(Generation, uuid.UUID(queue_job.task_kwargs["generation_id"]))
                    if row is not None and not row.status.terminal:
                        await stream.append(session=session, generation_id=row.id, status="failed",
                                            error="The worker answering this stopped responding; send the message again.")
                elif task_name == publishing_service.PUBLISH_TASK:
                    publication = await session.get(Publication, uuid.UUID(queue_job.task_kwargs["publication_id"]))
                    if publication is not None and not publication.status.terminal:
                        publication.status = PublicationStatus.failed
                        publication.error = "The worker publishing this stopped responding; publish again."
                else:
                    batch = await session.get(BatchCompare, uuid.UUID(queue_job.task_kwargs["batch_id"]))
                    if batch is not None and batch.status in (BatchStatus.queued, BatchStatus.running):
                        batch.status = BatchStatus.failed
                        batch.error = "The worker running this comparison stopped responding; start it again."
                await session.commit()
            await app.job_manager.finish_job(queue_job, status=Status.FAILED, delete_job=False)
            reaped += 1
    return reaped


async def run_worker(
    *, name: str | None = None, max_concurrent_jobs: int = 1, executors: list[str] | None = None, playground: bool = True,
) -> None:
    from tuneforge.tables import import_all_tables

    import_all_tables()  # foreign keys between domains resolve only when every table is known
    # huggingface_hub 2.x reports telemetry to huggingface.co whatever endpoint it is given: not from here.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # The playground generates in this process, next to other busy processes: torch's OpenMP threads must
    # sleep when idle, not spin (a spinning thread that loses its core stalls every step; bench/README.md,
    # "Playground"). Set before torch is imported; trainer subprocesses get their own environment.
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        os.environ[WORKER_ONLY_MARK] = "1"  # trainer_env: not passed on to training runs
    settings = get_settings()
    if settings.database_url is None:
        raise SystemExit("DATABASE_URL is not set: the worker needs the same database as the API.")
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    devices = await asyncio.to_thread(detect_devices)
    executors = executors or ["local", "modal"]
    has_cuda = any(d.get("type") == "cuda" for d in devices)
    queues = []
    if "local" in executors:
        queues += ["local", "local-cuda"] if has_cuda else ["local"]
    if "modal" in executors:
        queues.append("modal")
    hostname = socket.gethostname()
    worker_name = name or f"{hostname}-{os.getpid()}"
    capabilities = await asyncio.to_thread(detect_capabilities)
    playground_bytes = settings.playground_cache_bytes or default_cache_bytes()
    if playground:
        capabilities["playground"] = {"max_bytes": playground_bytes}
    capabilities["publishing"] = {"gguf": await asyncio.to_thread(gguf_available)}
    # How many devices one job may train on here (torchrun, one process each): the API and other
    # workers place multi-device jobs by it.
    capabilities["max_devices"] = workers_service.devices_offered(devices, settings.worker_cpu_processes)

    async def register(session: AsyncSession):
        return await workers_service.register(
            session=session,
            name=worker_name,
            hostname=hostname,
            pid=os.getpid(),
            executors=executors,
            devices=devices,
            max_concurrent_jobs=max_concurrent_jobs,
            version=__version__,
            capabilities=capabilities,
        )

    async with sessionmaker() as session:
        worker = await register(session)
        await session.commit()

    runner = JobRunner(
        sessionmaker=sessionmaker,
        storage=get_storage(),
        worker_name=worker_name,
        team_max_running_jobs=settings.team_max_running_jobs,
        devices=devices,
        max_devices=capabilities["max_devices"],
        heartbeat_seconds=settings.worker_heartbeat_seconds,
    )
    app = queue.make_app(settings.database_url)

    @app.task(name=queue.RUN_JOB_TASK, pass_context=True)
    async def run_job(context: JobContext, job_id: str) -> None:
        await runner.run(uuid.UUID(job_id))

    answers = PlaygroundServer(sessionmaker=sessionmaker, storage=get_storage(), worker_name=worker_name,
                               max_bytes=playground_bytes)

    @app.task(name=playground_service.GENERATE_TASK)
    async def playground_generate(generation_id: str) -> None:
        await answers.generate(uuid.UUID(generation_id))

    @app.task(name=playground_service.BATCH_TASK)
    async def batch_compare(batch_id: str) -> None:
        await answers.batch(uuid.UUID(batch_id))

    publisher = Publisher(sessionmaker=sessionmaker, storage=get_storage(), worker_name=worker_name)

    @app.task(name=publishing_service.PUBLISH_TASK)
    async def publish(publication_id: str) -> None:
        await publisher.publish(uuid.UUID(publication_id))

    heartbeat = settings.worker_heartbeat_seconds
    stalled_after = heartbeat * workers_service.STALE_AFTER_HEARTBEATS
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def start_queue_worker(which: list[str] = queues, concurrency: int = max_concurrent_jobs,
                           suffix: str = "") -> tuple[QueueWorker, asyncio.Task]:
        # procrastinate's worker, made to survive a database outage or being declared dead.
        queue_worker = QueueWorker(
            app=app,
            queues=which,
            concurrency=concurrency,
            name=worker_name + suffix,
            install_signal_handlers=False,
            update_heartbeat_interval=heartbeat,
            stalled_worker_timeout=stalled_after,
            abort_job_polling_interval=min(5.0, heartbeat),
            fetch_job_polling_interval=min(5.0, heartbeat),
        )
        return queue_worker, asyncio.create_task(queue_worker.run(), name="queue-worker" + suffix)

    def start_playground_worker() -> tuple[QueueWorker, asyncio.Task] | None:
        # Answers run apart from training jobs (a chat must not wait for a training run to end).
        return start_queue_worker([playground_service.QUEUE], 1, "-playground") if playground else None

    def start_publishing_worker() -> tuple[QueueWorker, asyncio.Task]:
        # Publications too: a GGUF conversion must not hold up chats or training.
        return start_queue_worker([publishing_service.QUEUE], 1, "-publishing")

    async with app.open_async():
        queue_worker, procrastinate_worker = start_queue_worker()
        playground_worker = start_playground_worker()
        publishing_worker = start_publishing_worker()
        print(
            f"TuneForge worker {worker_name} ready on queues {', '.join(queues)} "
            f"({', '.join(d.get('name', '?') for d in devices)})",
            flush=True,
        )
        # Since when this worker has been awake and reaching the database without a break. Only after
        # a whole stall window of that does it judge other workers: after an outage or a pause every
        # heartbeat looks old until its worker has had the chance to beat again.
        trusted_since: float | None = None
        database_away = False
        restart_delay = 1.0
        last_audit_prune = -audit_service.PRUNE_EVERY_S  # the first pass soon after start-up
        try:
            while not stop.is_set():
                last_tick = time.monotonic()
                try:
                    await asyncio.wait_for(stop.wait(), timeout=heartbeat)
                except TimeoutError:
                    pass
                if stop.is_set():
                    break
                now = time.monotonic()
                if now - last_tick > heartbeat + stalled_after:
                    # SIGSTOP, a suspended VM, a frozen host: others may have declared it dead meanwhile.
                    log.warning("worker %s was paused for %.0f s; rejoining", worker_name, now - last_tick)
                    trusted_since = None
                if playground_worker is not None and playground_worker[1].done():
                    log.warning("worker %s: its playground queue loop ended; restarting it", worker_name)
                    playground_worker = start_playground_worker()
                if publishing_worker[1].done():
                    log.warning("worker %s: its publishing queue loop ended; restarting it", worker_name)
                    publishing_worker = start_publishing_worker()
                if procrastinate_worker.done():
                    # It ended although nobody asked it to: the worker stays, with a fresh queue loop.
                    failure = None if procrastinate_worker.cancelled() else procrastinate_worker.exception()
                    log.warning("worker %s: its job queue loop ended (%r); restarting it in %.0f s", worker_name, failure, restart_delay)
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=restart_delay)
                        break
                    except TimeoutError:
                        pass
                    restart_delay = min(restart_delay * 2, 30.0)
                    queue_worker, procrastinate_worker = start_queue_worker()
                    continue
                try:
                    async with sessionmaker() as session:
                        if not await workers_service.heartbeat(session=session, worker_id=worker.id):
                            worker = await register(session)  # its row is gone: register anew
                        await session.commit()
                    await queue_worker.beat()
                    if playground_worker is not None:
                        await playground_worker[0].beat()
                    await publishing_worker[0].beat()
                except Exception as exc:  # noqa: BLE001 — the database is away: running jobs go on, beat again
                    if not database_away and not transient(exc):
                        log.exception("worker %s: heartbeat failed; retrying", worker_name)
                    elif not database_away:
                        log.warning("worker %s cannot reach the database (%s); its jobs keep running, retrying",
                                    worker_name, type(exc).__name__)
                    database_away, trusted_since = True, None
                    continue
                if database_away:
                    log.warning("worker %s reaches the database again", worker_name)
                    database_away = False
                if trusted_since is None:
                    trusted_since = now
                if now - trusted_since < stalled_after:
                    continue
                try:
                    await reap_stalled_jobs(
                        app=app, sessionmaker=sessionmaker, stalled_after_s=stalled_after,
                        running_here=queue_worker.running_job_ids(),
                    )
                    await reap_stalled_playground(
                        app=app, sessionmaker=sessionmaker, stalled_after_s=stalled_after,
                        running_here=(playground_worker[0].running_job_ids() if playground_worker else set())
                        | publishing_worker[0].running_job_ids(),
                    )
                except Exception:  # noqa: BLE001 — a failed sweep is retried on the next beat
                    log.exception("stalled-job sweep failed")
                if now - last_audit_prune >= audit_service.PRUNE_EVERY_S:
                    last_audit_prune = now
                    try:
                        await audit_service.prune_expired(sessionmaker=sessionmaker,
                                                          retention_days=settings.audit_retention_days)
                    except Exception:  # noqa: BLE001 — tried again in an hour
                        log.exception("audit retention pass failed")
        finally:
            log.info("worker %s stopping: running trainers save a checkpoint first", worker_name)
            await runner.stop_all()
            for task in (procrastinate_worker, publishing_worker[1], *([playground_worker[1]] if playground_worker else [])):
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001
                    pass
            try:
                async with sessionmaker() as session:
                    await workers_service.mark_stopped(session=session, worker_id=worker.id)
                    await session.commit()
            except Exception as exc:  # noqa: BLE001 — its heartbeat simply ages out
                log.warning("worker %s could not record that it stopped (%s)", worker_name, type(exc).__name__)
            await engine.dispose()
            log.info("worker %s stopped", worker_name)
