"""Writing job events: gapless per-job sequence numbers, stored and announced in one transaction.

`append_events` takes the next `seq` numbers by bumping `job.last_seq` (the row lock serialises
writers of one job), inserts the events and sends `NOTIFY job_events '<job_id>:<last_seq>'`;
PostgreSQL delivers the notification only when the transaction commits, so a listener never
hears of an event it cannot read yet.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.jobs.models import Job, JobEvent

JOB_EVENTS_CHANNEL = "job_events"
TEAM_JOBS_CHANNEL = "team_jobs"


async def append_events(
    *,
    session: AsyncSession,
    job_id: uuid.UUID,
    events: list[dict[str, Any]],
    attempt: int,
    progress: dict[str, Any] | None = None,
) -> int:
    """Store events (and, in the same statement, the job's progress summary) and announce them."""
    if not events:
        return 0
    last_seq = await session.scalar(
        update(Job)
        .where(Job.id == job_id)
        .values(last_seq=Job.last_seq + len(events), **(progress or {}))
        .returning(Job.last_seq)
    )
    if last_seq is None:
        raise LookupError(f"job {job_id} does not exist")
    first = last_seq - len(events) + 1
    now = datetime.now(UTC)
    await session.execute(
        insert(JobEvent),
        [
            {
                "job_id": job_id,
                "seq": first + i,
                "type": str(event.get("type", "log"))[:16],
                "attempt": attempt,
                "data": event,
                "created_at": now,
            }
            for i, event in enumerate(events)
        ],
    )
    await session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": JOB_EVENTS_CHANNEL, "payload": f"{job_id}:{last_seq}"})
    return last_seq


async def announce_job_change(*, session: AsyncSession, job: Job) -> None:
    """Tell list and dashboard views (team feed) that a job's status or progress changed."""
    await announce(session=session, team_id=job.team_id, job_id=job.id, status=job.status.value)


async def announce(*, session: AsyncSession, team_id: uuid.UUID, job_id: uuid.UUID, status: str) -> None:
    payload = json.dumps({"team_id": str(team_id), "job_id": str(job_id), "status": status})
    await session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": TEAM_JOBS_CHANNEL, "payload": payload})


def status_event(status: str, message: str | None = None, **fields: Any) -> dict[str, Any]:
    """Platform events (queued, running, interrupted, ...) share the stream with the trainer's own."""
    event: dict[str, Any] = {"type": "status", "time": datetime.now(UTC).timestamp(), "status": status}
    if message:
        event["message"] = message
    event.update(fields)
    return event
