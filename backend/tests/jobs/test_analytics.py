"""Team analytics: compute hours split GPU / CPU by the rule in docs/api/jobs.md ("Compute hours")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession


async def test_compute_hours_are_split_between_gpu_and_cpu(client, register, db):
    from tuneforge.jobs.models import Executor, Job, JobEvent, JobStatus

    alice = await register()
    now = datetime.now(UTC)
    hours = lambda n: timedelta(hours=n)  # noqa: E731

    def job(**fields) -> Job:
        defaults = dict(
            team_id=uuid.UUID(alice.team_id), name="j", status=JobStatus.succeeded, method="sft", adapter="lora",
            base_model="tiny-llama", config={}, executor=Executor.local,
        )
        return Job(**{**defaults, **fields})

    cpu_run = job(started_at=now - hours(3), finished_at=now - hours(2))  # 1 h on a CPU worker
    gpu_run = job(started_at=now - hours(2), finished_at=now - hours(1.5))  # 0.5 h on a local CUDA GPU
    modal_run = job(executor=Executor.modal, gpu_type="T4", started_at=now - hours(1), finished_at=now,
                    gpu_seconds=900.0, cost_usd=0.15)  # billed 0.25 h (its wall time, 1 h, is not used)
    failed_early = job(status=JobStatus.failed, started_at=now - hours(1), finished_at=now - hours(0.75))  # no device: CPU
    queued = job(status=JobStatus.queued)  # never started: nothing
    async with AsyncSession(bind=db, join_transaction_mode="create_savepoint") as session:
        session.add_all([cpu_run, gpu_run, modal_run, failed_early, queued])
        await session.flush()
        for seq, (run, device) in enumerate([(cpu_run, "cpu"), (gpu_run, "cuda")], start=1):
            session.add(JobEvent(job_id=run.id, seq=seq, type="started", attempt=1,
                                 data={"type": "started", "device": {"type": device, "name": device}}))
        await session.commit()

    analytics = (await client.get(f"/api/teams/{alice.team_id}/analytics", headers=alice.headers)).json()
    assert analytics["total_jobs"] == 5
    assert analytics["cpu_hours"] == pytest.approx(1.25)
    assert analytics["gpu_hours"] == pytest.approx(0.75)
    assert analytics["cost_usd"] == pytest.approx(0.15)


async def test_a_new_team_has_no_compute_hours(client, register):
    alice = await register()
    analytics = (await client.get(f"/api/teams/{alice.team_id}/analytics", headers=alice.headers)).json()
    assert analytics == {
        "days": 30, "total_jobs": 0, "by_status": {}, "by_method": {}, "per_day": [],
        "gpu_hours": 0.0, "cpu_hours": 0.0, "cost_usd": 0.0,
    }


def test_a_running_job_counts_until_now_and_an_interrupted_one_until_it_stopped():
    from tuneforge.jobs.models import Executor, Job, JobStatus
    from tuneforge.jobs.service import compute_seconds

    now = datetime.now(UTC)
    running = Job(status=JobStatus.running, executor=Executor.local, needs_cuda=True, started_at=now - timedelta(minutes=30))
    assert compute_seconds(running, None, now) == (1800.0, 0.0)
    interrupted = Job(status=JobStatus.interrupted, executor=Executor.local, needs_cuda=False,
                      started_at=now - timedelta(hours=2), updated_at=now - timedelta(hours=1))
    assert compute_seconds(interrupted, "cpu", now) == (0.0, 3600.0)
    assert compute_seconds(interrupted, "mps", now) == (3600.0, 0.0)
