from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.worker_registry.models import Worker

# A worker that has not reported for this many heartbeats is considered gone.
STALE_AFTER_HEARTBEATS = 3


async def register(
    *,
    session: AsyncSession,
    name: str,
    hostname: str,
    pid: int,
    executors: list[str],
    devices: list[dict[str, Any]],
    max_concurrent_jobs: int,
    version: str,
) -> Worker:
    worker = Worker(
        name=name,
        hostname=hostname,
        pid=pid,
        executors=executors,
        devices=devices,
        max_concurrent_jobs=max_concurrent_jobs,
        version=version,
        last_seen_at=datetime.now(UTC),
    )
    session.add(worker)
    await session.flush()
    return worker


async def heartbeat(*, session: AsyncSession, worker_id: uuid.UUID) -> None:
    await session.execute(update(Worker).where(Worker.id == worker_id).values(last_seen_at=datetime.now(UTC)))


async def mark_stopped(*, session: AsyncSession, worker_id: uuid.UUID) -> None:
    await session.execute(update(Worker).where(Worker.id == worker_id).values(stopped_at=datetime.now(UTC)))


async def list_live(*, session: AsyncSession, heartbeat_seconds: float) -> list[Worker]:
    horizon = datetime.now(UTC) - timedelta(seconds=heartbeat_seconds * STALE_AFTER_HEARTBEATS)
    rows = await session.scalars(
        select(Worker)
        .where(Worker.stopped_at.is_(None), Worker.last_seen_at >= horizon)
        .order_by(Worker.created_at)
    )
    return list(rows)
