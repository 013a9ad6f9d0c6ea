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

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.jobs.models import Job

JOB_EVENTS_CHANNEL = "job_events"
TEAM_JOBS_CHANNEL = "team_jobs"
INLINE_LIMIT = 7000


# One statement, one round trip: bump the job's seq counter (the row lock orders concurrent writers),
# keep its progress summary, insert the events with their numbers, and ring the doorbell.
_APPEND = text(
    """
    WITH bumped AS (
        UPDATE job SET
            last_seq = last_seq + :n,
            step = COALESCE(:step, step),
            total_steps = COALESCE(:total_steps, total_steps),
            latest_metrics = COALESCE(CAST(:latest_metrics AS jsonb), latest_metrics),
            last_checkpoint = COALESCE(:last_checkpoint, last_checkpoint),
            device_type = COALESCE(:device_type, device_type),
            updated_at = :now
        WHERE id = :job_id
        RETURNING last_seq
    ), stored AS (
        INSERT INTO job_event (job_id, seq, type, attempt, data, created_at)
        SELECT :job_id, bumped.last_seq - :n + e.ord, e.type, :attempt, e.data, :now
        FROM bumped, unnest(CAST(:types AS varchar[]), CAST(:datas AS jsonb[])) WITH ORDINALITY AS e(type, data, ord)
        RETURNING 1
    )
    SELECT last_seq, pg_notify(:channel, :job_key || ':' || last_seq || ':' || :tail) FROM bumped
    """
)


async def append_events(
    *,
    session: AsyncSession,
    job_id: uuid.UUID,
    events: list[dict[str, Any]],
    attempt: int,
    progress: dict[str, Any] | None = None,
) -> int:
    """Store events (and the job's progress summary) and announce them, in the caller's transaction.

    PostgreSQL delivers the NOTIFY at commit, so a listener never hears of an event it cannot read."""
    if not events:
        return 0
    progress = progress or {}
    metrics = progress.get("latest_metrics")
    now = datetime.now(UTC)
    datas = [json.dumps(event) for event in events]
    types = [str(event.get("type", "log"))[:16] for event in events]
    # Small batches ride along in the notification, so API processes need not read them back;
    # bigger ones (NOTIFY payloads stop at 8000 bytes) are read from the table.
    inline = json.dumps({"attempt": attempt, "created_at": now.isoformat(), "types": types, "datas": datas})
    tail = f"{len(events)}:{inline}" if len(inline) < INLINE_LIMIT else str(len(events))
    row = (
        await session.execute(
            _APPEND,
            {
                "n": len(events),
                "step": progress.get("step"),
                "total_steps": progress.get("total_steps"),
                "latest_metrics": json.dumps(metrics) if metrics is not None else None,
                "last_checkpoint": progress.get("last_checkpoint"),
                "device_type": progress.get("device_type"),
                "now": now,
                "job_id": job_id,
                "job_key": str(job_id),
                "attempt": attempt,
                "types": types,
                "datas": datas,
                "channel": JOB_EVENTS_CHANNEL,
                "tail": tail,
            },
        )
    ).first()
    if row is None:
        raise LookupError(f"job {job_id} does not exist")
    return int(row[0])


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
