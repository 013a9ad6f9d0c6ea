from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tuneforge import __version__
from tuneforge.db import ping
from tuneforge.system.schemas import (
    AdapterInfo,
    BaseModelInfo,
    DeviceInfo,
    DataKindInfo,
    ExecutorInfo,
    Health,
    Info,
    MethodInfo,
    PresetValues,
    ProviderInfo,
    WorkerInfo,
)
from tuneforge.web.deps import CurrentUser, SessionDep, SettingsDep
from tuneforge.worker_registry import service as workers_service

router = APIRouter(tags=["system"])


@router.get("/health", responses={503: {"model": Health}})
async def health(session: SessionDep) -> Health:
    try:
        await asyncio.wait_for(ping(session), timeout=5)
    except Exception:  # noqa: BLE001 — any failure means "database unreachable" to a health probe
        return JSONResponse(Health(status="degraded", version=__version__).model_dump(), status_code=503)
    return Health(status="ok", version=__version__)


def _named(entries: Any) -> list[dict[str, Any]]:
    """The training library keys entries by name; the API lists them with the name inside."""
    if isinstance(entries, dict):
        return [{"name": name, **(value if isinstance(value, dict) else {"value": value})} for name, value in entries.items()]
    return [e if isinstance(e, dict) else {"name": str(e)} for e in entries or []]


# Entries say only what the library knows of them: keys it leaves out stay out of the JSON.
@router.get("/info", response_model_exclude_unset=True)
async def info(session: SessionDep, settings: SettingsDep, _user: CurrentUser) -> Info:
    """Members only: it names the workers' hosts and devices.

    What can be trained is what the live workers reported they can (and the Modal image, when a worker
    dispatches to Modal): the API never probes its own host."""
    workers = await workers_service.list_live(session=session, heartbeat_seconds=settings.worker_heartbeat_seconds)
    caps = workers_service.installation_capabilities(workers)
    executors = [
        ExecutorInfo(name="local", description="A `tuneforge worker` process on your own machines (CUDA, MPS or CPU)."),
        ExecutorInfo(name="modal", description="Modal cloud GPUs, billed to the Modal token saved in Settings."),
    ]
    return Info(
        version=__version__,
        methods=[MethodInfo.model_validate(m) for m in _named(caps["methods"])],
        data_kinds=[DataKindInfo.model_validate(kind) for kind in _named(caps["data_kinds"])],
        adapters=[AdapterInfo.model_validate(a) for a in _named(caps["adapters"])],
        providers=[ProviderInfo.model_validate(p) for p in _named(caps["providers"])],
        base_models=[BaseModelInfo.model_validate(b) for b in _named(caps.get("base_models", {}))],
        presets=caps.get("presets", {}),
        executors=executors,
        workers=[
            WorkerInfo(
                name=w.name,
                hostname=w.hostname,
                executors=w.executors,
                devices=[DeviceInfo.model_validate(d) for d in w.devices],
                max_devices=workers_service.max_devices(w),
                max_concurrent_jobs=w.max_concurrent_jobs,
                version=w.version,
                last_seen_at=w.last_seen_at,
            )
            for w in workers
        ],
    )
