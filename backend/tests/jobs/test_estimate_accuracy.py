"""Estimate against actual: the phase clock a worker keeps while a job runs, the record it stores when
the job ends, and the team's running accuracy (GET /api/teams/{id}/estimate-accuracy)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.jobs import accuracy


def _events(t0: float) -> list[dict]:
    """What a trainer sends, in order (times relative to the worker starting it at t0)."""
    return [
        {"type": "log", "time": t0 + 4.0, "message": "rows"},
        {"type": "phase", "time": t0 + 4.0, "name": "loading_model"},
        {"type": "phase", "time": t0 + 5.0, "name": "tokenizing", "done": 0},
        {"type": "phase", "time": t0 + 5.5, "name": "tokenizing", "done": 10},  # progress: the same phase
        {"type": "started", "time": t0 + 6.0, "device": {"type": "cpu", "name": "cpu"}, "resume_from_checkpoint": None},
        {"type": "phase", "time": t0 + 6.0, "name": "training"},
        {"type": "metric", "time": t0 + 9.0, "step": 1},
        {"type": "phase", "time": t0 + 16.0, "name": "saving"},
        {"type": "phase", "time": t0 + 17.0, "name": "evaluating"},
        {"type": "finished", "time": t0 + 25.0, "step": 10},
    ]


def test_the_clock_times_each_phase_and_counts_the_process_around_them_as_startup():
    t0 = 1_000_000.0
    clock = accuracy.PhaseClock(t0)
    for event in _events(t0):
        clock.observe(event)
    phases = {p["name"]: p["seconds"] for p in clock.phases(ended_at=t0 + 26.5)}
    # 4 s before the first phase + 1.5 s after `finished` until the process ended.
    assert phases == {"startup": 5.5, "loading_model": 1.0, "tokenizing": 1.0, "training": 10.0, "saving": 1.0,
                      "evaluating": 8.0}
    assert sum(phases.values()) == pytest.approx(26.5)
    assert clock.device["type"] == "cpu" and clock.steps == 10 and not clock.resumed


def test_a_trainer_without_phase_events_is_timed_as_startup_then_training():
    clock = accuracy.PhaseClock(0.0)
    for event in ({"type": "started", "time": 7.0, "device": {"type": "cpu"}}, {"type": "finished", "time": 20.0}):
        clock.observe(event)
    assert clock.phases(ended_at=21.0) == [{"name": "startup", "seconds": 8.0}, {"name": "training", "seconds": 13.0}]


def _target(**fields) -> dict:
    return {"wall_seconds": 20.0, "wall_seconds_low": 15.0, "wall_seconds_high": 30.0,
            "phases": [{"name": "startup", "seconds": 6.0, "label": "Start-up"}, {"name": "training", "seconds": 14.0}],
            **fields}


def test_the_record_puts_the_actual_next_to_the_estimate_of_where_it_ran():
    from tuneforge.jobs.models import Executor, Job

    estimate = {"chosen": None, "targets": [
        _target(executor="local", worker="other", device_type="cpu", wall_seconds=99.0),
        _target(executor="local", worker="worker-a", device_type="cpu"),
        _target(executor="modal", gpu_type="T4", device_type="cuda", wall_seconds=120.0),
    ]}
    job = Job(executor=Executor.local, estimate=estimate, attempt=1)
    clock = accuracy.PhaseClock(0.0)
    for event in _events(0.0):
        clock.observe(event)
    record = accuracy.timing_record(job=job, clock=clock, ended_at=25.0, worker="worker-a")
    assert record["actual_seconds"] == 25.0 and record["estimated_seconds"] == 20.0  # worker-a's, not the other's
    assert record["ratio"] == 1.25 and record["estimate_source"] == "launch"
    assert record["estimated_low"] == 15.0 and record["estimated_high"] == 30.0
    assert [p["name"] for p in record["estimated_phases"]] == ["startup", "training"]

    modal = Job(executor=Executor.modal, gpu_type="T4", estimate=estimate, attempt=1)
    assert accuracy.timing_record(job=modal, clock=clock, ended_at=60.0, worker="w")["ratio"] == 0.5
    # No stored estimate for that device: the trainer's own (from its `started` event).
    clock.trainer_estimate = _target(wall_seconds=50.0)
    fallback = accuracy.timing_record(job=Job(executor=Executor.local, estimate={}, attempt=1), clock=clock, ended_at=25.0,
                                      worker="w")
    assert fallback["estimate_source"] == "trainer" and fallback["ratio"] == 0.5


def test_accuracy_aggregates_the_last_n_estimated_runs_per_executor_and_device():
    def rec(ratio, executor="local", device="cpu", resumed=False, inside=True):
        actual = 10.0 * ratio
        return {"ratio": ratio, "executor": executor, "device_type": device, "resumed": resumed, "actual_seconds": actual,
                "estimated_seconds": 10.0, "estimated_low": 7.5 if inside else 1.0, "estimated_high": 15.0 if inside else 2.0}

    records = [rec(1.0), rec(1.2), rec(0.8, inside=False), rec(5.0, resumed=True), {"actual_seconds": 3.0},
               rec(2.0, "modal", "cuda"), rec(0.9)]
    result = accuracy.aggregate(records, limit=4)
    # The resumed run and the one without an estimate are skipped; the 4 newest of the rest count.
    assert result["jobs"] == 4 and result["median_ratio"] == 1.1
    assert (result["low_ratio"], result["high_ratio"]) == (0.8, 2.0)
    assert result["within_range"] == 2  # 0.8 was outside its range, and 2.0 (20 s against 7.5-15 s)
    groups = {(g["executor"], g["device_type"]): g for g in result["groups"]}
    assert groups[("local", "cpu")]["jobs"] == 3 and groups[("local", "cpu")]["median_ratio"] == 1.0
    assert groups[("modal", "cuda")] == {"executor": "modal", "device_type": "cuda", "jobs": 1, "median_ratio": 2.0,
                                          "low_ratio": 2.0, "high_ratio": 2.0}
    assert accuracy.aggregate([], limit=12)["median_ratio"] is None


async def test_the_endpoint_reads_the_teams_last_succeeded_jobs(client, register, db):
    from tuneforge.jobs.models import Executor, Job, JobStatus

    alice = await register()
    bob = await register()
    now = datetime.now(UTC)

    def job(team: str, ratio: float, minutes_ago: int, status=JobStatus.succeeded) -> Job:
        timing = {"ratio": ratio, "executor": "local", "device_type": "cpu", "resumed": False, "actual_seconds": 10 * ratio,
                  "actual_phases": [], "estimated_seconds": 10.0, "estimated_low": 7.5, "estimated_high": 15.0}
        return Job(team_id=uuid.UUID(team), name="j", status=status, method="sft", adapter="lora", base_model="tiny-llama",
                   config={}, executor=Executor.local, result={"metrics": {}, "timing": timing},
                   finished_at=now - timedelta(minutes=minutes_ago))

    rows = [job(alice.team_id, r, i) for i, r in enumerate([1.1, 0.9, 1.3, 0.8, 3.0])]  # 3.0 is the oldest
    rows += [job(alice.team_id, 9.0, 0, status=JobStatus.failed), job(bob.team_id, 9.0, 0)]
    async with AsyncSession(bind=db, join_transaction_mode="create_savepoint") as session:
        session.add_all(rows)
        await session.commit()

    response = await client.get(f"/api/teams/{alice.team_id}/estimate-accuracy?limit=4", headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["jobs"] == 4 and body["limit"] == 4
    assert (body["low_ratio"], body["median_ratio"], body["high_ratio"]) == (0.8, 1.0, 1.3)
    assert body["within_range"] == 4
    assert body["groups"] == [{"executor": "local", "device_type": "cpu", "jobs": 4, "median_ratio": 1.0,
                               "low_ratio": 0.8, "high_ratio": 1.3}]
    # Another team's jobs are not Bob's business, and his own are his.
    assert (await client.get(f"/api/teams/{alice.team_id}/estimate-accuracy", headers=bob.headers)).status_code in (403, 404)
    assert (await client.get(f"/api/teams/{bob.team_id}/estimate-accuracy", headers=bob.headers)).json()["median_ratio"] == 9.0
