"""`tuneforge worker`: a process that runs training jobs on this host and reports what it has.

It registers itself with its devices, heartbeats so the API can show live workers, and marks
itself stopped on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from typing import Any

from tuneforge import __version__
from tuneforge.config import get_settings
from tuneforge.db import make_engine, make_sessionmaker
from tuneforge.workers import service as workers_service

log = logging.getLogger("tuneforge.worker")


def detect_devices() -> list[dict[str, Any]]:
    from tuneforge.training.hardware import detect_devices as detect

    return detect()


async def run_worker(*, name: str | None = None, max_concurrent_jobs: int = 1, executors: list[str] | None = None) -> None:
    settings = get_settings()
    if settings.database_url is None:
        raise SystemExit("DATABASE_URL is not set: the worker needs the same database as the API.")
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    devices = await asyncio.to_thread(detect_devices)
    hostname = socket.gethostname()
    async with sessionmaker() as session:
        worker = await workers_service.register(
            session=session,
            name=name or f"{hostname}-{os.getpid()}",
            hostname=hostname,
            pid=os.getpid(),
            executors=executors or ["local"],
            devices=devices,
            max_concurrent_jobs=max_concurrent_jobs,
            version=__version__,
        )
        await session.commit()
    log.info("worker %s started with devices %s", worker.name, [d.get("name") for d in devices])
    print(f"TuneForge worker {worker.name} ready ({', '.join(d.get('name', '?') for d in devices)})", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.worker_heartbeat_seconds)
            except TimeoutError:
                async with sessionmaker() as session:
                    await workers_service.heartbeat(session=session, worker_id=worker.id)
                    await session.commit()
    finally:
        async with sessionmaker() as session:
            await workers_service.mark_stopped(session=session, worker_id=worker.id)
            await session.commit()
        await engine.dispose()
        log.info("worker %s stopped", worker.name)
