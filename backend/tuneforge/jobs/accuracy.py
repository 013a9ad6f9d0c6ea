"""Estimate against actual: what a run took, phase by phase, next to what its estimate said, and how
close a team's estimates have been lately.

When a job ends, the worker (worker/supervisor.py) stores `job.result["timing"]` (`timing_record`):
the attempt's wall time and its phases, timed from the trainer's events as they passed
(`PhaseClock`), beside the estimate of the target it ran on (from `job.estimate`, what the wizard
showed; else the trainer's own estimate in its `started` event). `team_accuracy` reads those of the
team's last succeeded jobs: the median and the spread of actual / estimated, overall and per
executor and device type (GET /api/teams/{id}/estimate-accuracy).
"""

from __future__ import annotations

import statistics
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.jobs.models import Job, JobStatus

# The trainer's phase names (training.event_stream.PHASES) plus the time around them: the process
# (and on Modal the container) starting before the first phase and exiting after the last event.
STARTUP = "startup"
PHASE_ORDER = ("startup", "loading_model", "tokenizing", "training", "saving", "evaluating")
TERMINAL = ("finished", "failed", "cancelled")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class PhaseClock:
    """Times one attempt's phases from its events, as they pass: each `phase` event whose name differs
    from the last starts that phase; the time before the first one and after the terminal event is
    start-up. A trainer that sends no phase events is timed coarsely: start-up until `started`, then
    training until the end."""

    def __init__(self, started_at: float) -> None:
        self.started_at = started_at
        self.current = STARTUP
        self.since = started_at
        self.seconds: dict[str, float] = {}
        self.saw_phase = False
        self.device: dict[str, Any] = {}
        self.resumed = False
        self.trainer_estimate: dict[str, Any] | None = None
        self.steps: int | None = None

    def _switch(self, name: str, at: float) -> None:
        at = max(at, self.since)
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + at - self.since
        self.current, self.since = name, at

    def observe(self, event: dict[str, Any]) -> None:
        at = _number(event.get("time"))
        if at is None:
            return
        kind = event.get("type")
        if kind == "phase" and isinstance(event.get("name"), str):
            self.saw_phase = True
            if event["name"] != self.current:
                self._switch(event["name"], at)
        elif kind == "started":
            if isinstance(event.get("device"), dict):
                self.device = event["device"]
            self.resumed = bool(event.get("resume_from_checkpoint"))
            if isinstance(event.get("estimate"), dict):
                self.trainer_estimate = event["estimate"]
            if not self.saw_phase and self.current == STARTUP:
                self._switch("training", at)
        elif kind in TERMINAL:
            if isinstance(event.get("step"), int):
                self.steps = event["step"]
            self._switch(STARTUP, at)

    def phases(self, ended_at: float) -> list[dict[str, Any]]:
        """Seconds per phase from the start until `ended_at` (the process's end), in run order."""
        seconds = dict(self.seconds)
        seconds[self.current] = seconds.get(self.current, 0.0) + max(ended_at - self.since, 0.0)
        names = [n for n in PHASE_ORDER if n in seconds] + [n for n in seconds if n not in PHASE_ORDER]
        return [{"name": name, "seconds": round(seconds[name], 1)} for name in names]


def estimate_for_run(
    estimate: dict[str, Any] | None, *, executor: str, gpu_type: str | None, worker: str | None, device_type: str | None
) -> dict[str, Any] | None:
    """The target estimate (from a job's stored `estimate`) that describes where it ran."""
    targets = [t for t in (estimate or {}).get("targets") or [] if isinstance(t, dict) and t.get("wall_seconds")]
    if executor == "modal":
        return next((t for t in targets if t.get("executor") == "modal" and t.get("gpu_type") == gpu_type), None)
    local = [t for t in targets if t.get("executor") == "local"]
    for matches in (
        lambda t: t.get("worker") == worker and t.get("device_type") == device_type,
        lambda t: t.get("device_type") == device_type,
    ):
        found = next((t for t in local if matches(t)), None)
        if found:
            return found
    return None


def timing_record(
    *, job: Job, clock: PhaseClock, ended_at: float, worker: str | None
) -> dict[str, Any]:
    """What `job.result["timing"]` holds after an attempt: actual wall time and phases, and the
    estimate's (mid, low, high and phases) for the target it ran on, with actual / estimated."""
    executor = job.executor.value if hasattr(job.executor, "value") else str(job.executor)
    device_type = clock.device.get("type") or ("cuda" if executor == "modal" else None)
    actual = round(max(ended_at - clock.started_at, 0.0), 1)
    record: dict[str, Any] = {
        "actual_seconds": actual,
        "actual_phases": clock.phases(ended_at),
        "executor": executor,
        "device_type": device_type,
        "device_name": clock.device.get("name"),
        "gpu_type": job.gpu_type,
        "worker": worker,
        "attempt": job.attempt,
        "resumed": clock.resumed,
        "steps": clock.steps,
    }
    source = "launch"
    estimated = estimate_for_run(job.estimate, executor=executor, gpu_type=job.gpu_type, worker=worker, device_type=device_type)
    if estimated is None and clock.trainer_estimate and clock.trainer_estimate.get("wall_seconds"):
        estimated, source = clock.trainer_estimate, "trainer"
    if estimated is not None:
        mid = float(estimated["wall_seconds"])
        record.update(
            estimated_seconds=mid,
            estimated_low=estimated.get("wall_seconds_low"),
            estimated_high=estimated.get("wall_seconds_high"),
            estimated_phases=[{"name": p["name"], "seconds": p["seconds"]} for p in estimated.get("phases") or []],
            estimate_source=source,
            ratio=round(actual / mid, 3) if mid > 0 else None,
        )
    return record


# -- the running accuracy ------------------------------------------------------------------------------


def _summary(ratios: list[float]) -> dict[str, Any]:
    return {
        "jobs": len(ratios),
        "median_ratio": round(statistics.median(ratios), 2) if ratios else None,
        "low_ratio": round(min(ratios), 2) if ratios else None,
        "high_ratio": round(max(ratios), 2) if ratios else None,
    }


def aggregate(records: list[dict[str, Any]], *, limit: int) -> dict[str, Any]:
    """The running accuracy of `records` (timing records, newest first): the first `limit` that have
    an estimate and ran in one go (not resumed), overall and per executor and device type."""
    used = [r for r in records if _number(r.get("ratio")) and not r.get("resumed")][:limit]
    ratios = [float(r["ratio"]) for r in used]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in used:
        groups.setdefault((str(r.get("executor")), str(r.get("device_type") or "unknown")), []).append(r)
    inside = sum(
        1 for r in used
        if _number(r.get("estimated_low")) is not None and _number(r.get("estimated_high")) is not None
        and r["estimated_low"] <= r["actual_seconds"] <= r["estimated_high"]
    )
    return {
        "limit": limit,
        **_summary(ratios),
        "within_range": inside,
        "groups": [
            {"executor": executor, "device_type": device_type, **_summary([float(r["ratio"]) for r in rows])}
            for (executor, device_type), rows in sorted(groups.items())
        ],
    }


async def team_accuracy(*, session: AsyncSession, team_id: uuid.UUID, limit: int = 12) -> dict[str, Any]:
    """The running accuracy of the team's last `limit` succeeded jobs that recorded their timing."""
    rows = (
        await session.execute(
            select(Job.result["timing"])
            .where(Job.team_id == team_id, Job.status == JobStatus.succeeded, Job.result.has_key("timing"))
            .order_by(Job.finished_at.desc().nulls_last(), Job.created_at.desc())
            .limit(limit * 4)
        )
    ).scalars().all()
    return aggregate([r for r in rows if isinstance(r, dict)], limit=limit)
