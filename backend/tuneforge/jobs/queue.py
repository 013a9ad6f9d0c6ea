"""The job queue: procrastinate on the same PostgreSQL.

Jobs are durable `job` rows; procrastinate carries "run job X" messages to workers, with
worker heartbeats, stalled-job detection and abort. Queues by what a job needs:

    local       any local worker (CPU, MPS or CUDA)
    local-cuda  only workers with a CUDA device (QLoRA on GPU, Unsloth, bf16)
    modal       workers allowed to launch Modal runs (a Modal client, not a GPU)
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from procrastinate import App, PsycopgConnector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

RUN_JOB_TASK = "tuneforge.run_job"
QUEUES = ("local", "local-cuda", "modal")


def psycopg_conninfo(database_url: str) -> str:
    """procrastinate talks through psycopg; our URLs name the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


def make_app(database_url: str) -> App:
    return App(connector=PsycopgConnector(conninfo=psycopg_conninfo(database_url)))


def queue_for(*, executor: str, needs_cuda: bool) -> str:
    if executor == "modal":
        return "modal"
    return "local-cuda" if needs_cuda else "local"


async def defer_run(
    *, session: AsyncSession, job_id: uuid.UUID, queue: str, priority: int = 0, delay_seconds: float = 0
) -> int:
    """Enqueue "run job X" in the caller's transaction, so the queue entry appears exactly when the
    job row does (a worker can never pick up a job it cannot see yet)."""
    # One run of a given job at a time, whatever happens to workers.
    return await defer_task(session=session, task=RUN_JOB_TASK, queue=queue, args={"job_id": str(job_id)},
                            lock=f"job-{job_id}", priority=priority, delay_seconds=delay_seconds)


async def defer_task(
    *, session: AsyncSession, task: str, queue: str, args: dict, lock: str | None = None, priority: int = 0,
    delay_seconds: float = 0,
) -> int:
    """Enqueue a task in the caller's transaction (it appears exactly when the rows it names do). This
    calls the same SQL function procrastinate's own `defer_async` calls (schema pinned by migration 0003)."""
    scheduled_at = None
    if delay_seconds:
        scheduled_at = datetime.fromtimestamp(datetime.now(UTC).timestamp() + delay_seconds, UTC)
    result = await session.execute(
        text(
            "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, NULL, "
            "CAST(:args AS jsonb), :scheduled_at)::procrastinate_job_to_defer_v1])) AS id"
        ),
        {"queue": queue, "task": task, "priority": priority, "lock": lock, "args": json.dumps(args),
         "scheduled_at": scheduled_at},
    )
    return int(result.scalar_one())


async def request_abort(*, session: AsyncSession, queue_job_id: int) -> str | None:
    """Ask procrastinate to abort a queued or running queue entry. Returns the entry's new status."""
    result = await session.execute(
        text("SELECT procrastinate_cancel_job_v1(:id, true, false) AS id"), {"id": queue_job_id}
    )
    result.scalar()
    status = await session.scalar(text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": queue_job_id})
    return status


async def enqueue_job(*, session: AsyncSession, job, priority: int = 0, delay_seconds: float = 0) -> None:
    """Put a job row on the queue its executor and hardware need; remembers the queue entry."""
    job.queue_job_id = await defer_run(
        session=session, job_id=job.id, queue=queue_for(executor=job.executor, needs_cuda=job.needs_cuda),
        priority=priority, delay_seconds=delay_seconds,
    )
