from __future__ import annotations

import asyncio
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from tuneforge import __version__
from tuneforge.web.deps import SessionDep, SettingsDep
from tuneforge.worker_registry import service as workers_service

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    database: str


class WorkerInfo(BaseModel):
    name: str
    hostname: str
    executors: list[str]
    devices: list[dict[str, Any]]
    max_concurrent_jobs: int
    version: str
    last_seen_at: datetime


class Info(BaseModel):
    version: str
    methods: list[dict[str, Any]]
    adapters: list[dict[str, Any]]
    providers: list[dict[str, Any]]
    executors: list[dict[str, Any]]
    base_models: list[dict[str, Any]]
    presets: dict[str, Any]
    workers: list[WorkerInfo]


@router.get("/health", responses={503: {"model": Health}})
async def health(session: SessionDep) -> Health:
    try:
        await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=5)
    except Exception:  # noqa: BLE001 — any failure means "database unreachable" to a health probe
        return JSONResponse(Health(status="degraded", database="unreachable").model_dump(), status_code=503)
    return Health(status="ok", database="ok")


@lru_cache
def _capabilities() -> dict[str, Any]:
    from tuneforge.training import capabilities

    return capabilities()


def _named(entries: Any) -> list[dict[str, Any]]:
    """The training library keys entries by name; the API lists them with the name inside."""
    if isinstance(entries, dict):
        return [{"name": name, **(value if isinstance(value, dict) else {"value": value})} for name, value in entries.items()]
    return [e if isinstance(e, dict) else {"name": str(e)} for e in entries or []]


@router.get("/info")
async def info(session: SessionDep, settings: SettingsDep) -> Info:
    caps = await asyncio.to_thread(_capabilities)
    workers = await workers_service.list_live(session=session, heartbeat_seconds=settings.worker_heartbeat_seconds)
    executors = [
        {"name": "local", "description": "A `tuneforge worker` process on your own machines (CUDA, MPS or CPU)."},
        {"name": "modal", "description": "Modal cloud GPUs, billed to the Modal token saved in Settings."},
    ]
    return Info(
        version=__version__,
        methods=_named(caps["methods"]),
        adapters=_named(caps["adapters"]),
        providers=_named(caps["providers"]),
        base_models=_named(caps.get("base_models", {})),
        presets=caps.get("presets", {}),
        executors=executors,
        workers=[
            WorkerInfo(
                name=w.name,
                hostname=w.hostname,
                executors=w.executors,
                devices=w.devices,
                max_concurrent_jobs=w.max_concurrent_jobs,
                version=w.version,
                last_seen_at=w.last_seen_at,
            )
            for w in workers
        ],
    )
