from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.training.spec import TRAIN_EXTRA_PACKAGES, Target
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
    capabilities: dict[str, Any] | None = None,
) -> Worker:
    """`capabilities` is training.capabilities() computed on the worker (what it can train)."""
    worker = Worker(
        name=name,
        hostname=hostname,
        pid=pid,
        executors=executors,
        devices=devices,
        capabilities=capabilities or {},
        max_concurrent_jobs=max_concurrent_jobs,
        version=version,
        last_seen_at=datetime.now(UTC),
    )
    session.add(worker)
    await session.flush()
    return worker


async def heartbeat(*, session: AsyncSession, worker_id: uuid.UUID) -> bool:
    """Marks the worker alive — again, if it had been marked stopped (a long pause); False when its
    row no longer exists (the caller registers anew)."""
    result = await session.execute(
        update(Worker).where(Worker.id == worker_id).values(last_seen_at=datetime.now(UTC), stopped_at=None)
    )
    return bool(result.rowcount)


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


# -- what the live workers can train ------------------------------------------------------------

NO_WORKER_NOTE = "No worker is online: start one with `tuneforge worker`"
# The sections of training.capabilities() whose entries say whether they are available.
_AVAILABILITY_SECTIONS = ("methods", "adapters", "providers", "base_models")


def target_of(worker: Worker) -> Target:
    """The machine a worker trains on, as it reported when it registered (`capabilities["target"]`).
    A worker of a version that reported nothing is taken for a standard worker (`tuneforge[train]`)
    with the devices it listed."""
    reported = (worker.capabilities or {}).get("target")
    if isinstance(reported, dict):
        return Target.from_dict(reported)
    gpus = [d for d in worker.devices or [] if d.get("type") == "cuda"]
    return Target(cuda=bool(gpus), bf16=any(bool(d.get("bf16")) for d in gpus), packages=TRAIN_EXTRA_PACKAGES)


def devices_offered(devices: list[dict[str, Any]], cpu_processes: int = 1) -> int:
    """How many devices one job may use on a machine with `devices` (hardware.detect_devices): its CUDA
    GPUs when it has any, one Apple MPS device, else `cpu_processes` processes sharing the CPU
    (TUNEFORGE_WORKER_CPU_PROCESSES). Reported as `capabilities["max_devices"]`."""
    gpus = sum(1 for d in devices if d.get("type") == "cuda")
    if gpus:
        return gpus
    if any(d.get("type") == "mps" for d in devices):
        return 1
    return max(1, cpu_processes)


def max_devices(worker: Worker) -> int:
    """The devices one job may use on this worker, as it reported (`capabilities["max_devices"]`); a
    worker of a version that reported nothing launches no multi-process runs: 1."""
    reported = (worker.capabilities or {}).get("max_devices")
    return reported if isinstance(reported, int) and reported >= 1 else 1


def local_workers(workers: list[Worker], *, needs_cuda: bool = False) -> list[Worker]:
    """The live workers that would take a local job (those with CUDA when it needs CUDA)."""
    return [w for w in workers if "local" in (w.executors or []) and (target_of(w).cuda or not needs_cuda)]


def local_targets(workers: list[Worker], *, needs_cuda: bool = False) -> list[Target]:
    """The machines of the live workers that take local jobs (only those with CUDA when the job needs it)."""
    return [target_of(w) for w in local_workers(workers, needs_cuda=needs_cuda)]


def installation_capabilities(workers: list[Worker]) -> dict[str, Any]:
    """What this installation can train now, for /api/info: the training library's lists, each entry
    available when some live worker can train it on an executor it serves (its own machine for
    `local`, the Modal image for `modal`), with why not otherwise. Nothing of the API's own host.

    With no worker online, the lists as a standard worker has them, all selectable with a note: a job
    launched now waits in the queue for a worker (see docs/decisions.md).
    """
    from tuneforge.training import capabilities

    targets = local_targets(workers)
    if any("modal" in (w.executors or []) for w in workers):
        targets.append(Target.on_modal())
    if not targets:
        caps = capabilities(Target.standard_worker())
        for section in _AVAILABILITY_SECTIONS:
            for entry in caps[section].values():
                entry["available"] = True
                if "reason" in entry:
                    entry["reason"] = NO_WORKER_NOTE
        caps["providers"]["auto"]["resolves_to"] = "hf"
        return caps

    each = [capabilities(t) for t in targets]
    caps = each[0]
    for section in _AVAILABILITY_SECTIONS:
        for name, entry in caps[section].items():
            entries = [c[section][name] for c in each]
            usable = [e for e in entries if e.get("available")]
            entry["available"] = bool(usable)
            if "reason" not in entry:
                continue
            if usable:  # a note (e.g. QLoRA on CPU) only when no worker takes it without one
                entry["reason"] = next((e["reason"] for e in usable if not e["reason"]), usable[0]["reason"])
            else:
                why = "; ".join(dict.fromkeys(e["reason"] for e in entries if e.get("reason")))
                entry["reason"] = f"No online worker can run it: {why}" if why else "No online worker can run it"
    caps["providers"]["auto"]["resolves_to"] = " or ".join(sorted({c["providers"]["auto"]["resolves_to"] for c in each}))
    caps["precision"]["cuda"] = any(t.cuda for t in targets)
    return caps
