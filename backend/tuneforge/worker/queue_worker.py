"""procrastinate's worker, made to ride out a database outage and a long pause.

Out of the box, procrastinate's worker stops for good when any of its side tasks fails once: the
heartbeat or the LISTEN connection during a database restart, a job fetch after the worker was
declared dead (its row pruned: the fetch then violates a foreign key). Its running jobs then lose
their heartbeat and are taken over elsewhere although they are still running here. This worker
instead retries each of those, and `beat()` puts its row back under the same id when it finds it
gone, claiming back the jobs it is still running — so a paused or cut-off worker rejoins by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import psycopg
from procrastinate import worker as procrastinate_worker

from tuneforge.db import database_unreachable

log = logging.getLogger("tuneforge.worker.queue")

# One statement: refresh the heartbeat, or re-create the row (same id) that another worker pruned
# while this one was cut off or paused.
_BEAT = """
INSERT INTO procrastinate_workers (id, last_heartbeat) OVERRIDING SYSTEM VALUE VALUES (%(worker_id)s, NOW())
ON CONFLICT (id) DO UPDATE SET last_heartbeat = NOW()
RETURNING (xmax = 0) AS rejoined
"""
# Pruning a worker sets its jobs' worker_id to NULL; the ones still running here are ours again.
_RECLAIM = """
UPDATE procrastinate_jobs SET worker_id = %(worker_id)s
WHERE id = ANY(%(job_ids)s) AND status = 'doing' AND worker_id IS NULL
"""

PERSIST_RETRY_WHILE_STOPPING_S = 30.0


def transient(exc: BaseException) -> bool:
    """A lost or refused database connection (psycopg's or asyncpg's), worth retrying."""
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            break
        if isinstance(current, psycopg.OperationalError) or database_unreachable(current):
            return True
        current = current.__cause__ or current.__context__
    return False


class QueueWorker(procrastinate_worker.Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._beat_failing = False

    def running_job_ids(self) -> set[int]:
        """The queue entries this worker is running now."""
        return {context.job.id for context in self._running_jobs.values() if context.job.id is not None}

    # -- heartbeat and rejoining -----------------------------------------------------------------

    async def beat(self) -> None:
        """Refresh this worker's heartbeat row, re-creating it if it was pruned; raises if the
        database cannot be reached."""
        if self.worker_id is None:
            return
        row = await self.app.connector.execute_query_one_async(query=_BEAT, worker_id=self.worker_id)
        if row and row["rejoined"]:
            log.warning("worker %s had been declared dead (paused or cut off); it rejoins", self.worker_name)
        running = sorted(self.running_job_ids())
        if running:
            await self.app.connector.execute_query_async(query=_RECLAIM, worker_id=self.worker_id, job_ids=running)
        if self._beat_failing:
            log.warning("worker %s reaches the database again", self.worker_name)
        self._beat_failing = False

    async def _update_heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.update_heartbeat_interval)
            try:
                await self.beat()
            except Exception as exc:  # noqa: BLE001 — the database is away: beat again next time
                if not self._beat_failing:
                    if transient(exc):
                        log.warning("worker %s cannot reach the database (%s); retrying", self.worker_name, type(exc).__name__)
                    else:
                        log.exception("worker %s: heartbeat failed; retrying", self.worker_name)
                self._beat_failing = True

    # -- side tasks that survive a lost connection ------------------------------------------------

    def _start_side_tasks(self) -> list[asyncio.Task[Any]]:
        side_tasks = [
            asyncio.create_task(self._update_heartbeat(), name="update_heartbeats"),
            asyncio.create_task(self._periodic_deferrer(), name="deferrer"),
            asyncio.create_task(self._poll_jobs_to_abort(), name="poll_jobs_to_abort"),
        ]
        if self.listen_notify:
            side_tasks.append(asyncio.create_task(self._listen(), name="listener"))
        return side_tasks

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            started = time.monotonic()
            try:
                await self.app.job_manager.listen_for_jobs(on_notification=self._handle_notification, queues=self.queues)
            except Exception as exc:  # noqa: BLE001 — reconnect; polling covers the gap
                log.info("job notifications lost (%s); reconnecting", type(exc).__name__)
            if time.monotonic() - started > 30:
                delay = 0.5
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            self._new_job_event.set()  # look for jobs deferred while nobody listened

    async def _fetch_and_process_jobs(self) -> None:
        try:
            await super()._fetch_and_process_jobs()
        except Exception as exc:  # noqa: BLE001 — the next poll tries again
            log.warning("worker %s could not fetch jobs (%s); retrying", self.worker_name, type(exc).__name__)
            try:
                await self.beat()  # pruned while away? (the fetch then fails on its worker id)
            except Exception:  # noqa: BLE001
                pass

    async def _persist_job_status(self, *args: Any, **kwargs: Any) -> None:
        """A job's outcome is recorded once the database answers again, not dropped."""
        delay, since = 0.5, None
        while True:
            try:
                await super()._persist_job_status(*args, **kwargs)
                return
            except Exception as exc:
                if not transient(exc):
                    raise
                if self._stop_event.is_set():
                    since = since or time.monotonic()
                    if time.monotonic() - since > PERSIST_RETRY_WHILE_STOPPING_S:
                        raise
                log.warning("could not record a job's outcome in the queue (%s); retrying", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
