"""One job over several devices, on the platform side: the API accepts N devices only where a live worker
(or a Modal container) offers them, a worker leaves a job it has too few devices for, and Modal is asked
for N GPUs and bills each. In-process API and JobRunner on the test's database (real PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tuneforge.jobs.models import Job, JobEvent, JobStatus
from tuneforge.storage import get_storage
from tuneforge.training import capabilities, catalogue
from tuneforge.training.spec import Target
from tuneforge.worker.modal_executor import LocalModalExecutor
from tuneforge.worker.supervisor import JobRunner
from tuneforge.worker_registry import service as workers_service
from tuneforge.worker_registry.models import Worker

from .conftest import CHAT_ROWS
from .test_jobs_api import _job, _upload
from .test_modal_billing import ADA_TOKEN, _save_token

_CPU = {"type": "cpu", "name": "x86_64", "cores": 4, "total_memory_bytes": 16 * 2**30, "can_train": True}


async def _register_worker(app, name: str, max_devices: int) -> None:
    """A live CPU worker as `tuneforge worker` registers one, offering `max_devices` processes."""
    async with app.state.sessionmaker() as session:
        await workers_service.register(
            session=session, name=name, hostname=name, pid=1, executors=["local"], devices=[_CPU],
            max_concurrent_jobs=1, version="0.1.0",
            capabilities={**capabilities(Target.standard_worker()), "max_devices": max_devices},
        )
        await session.commit()


async def _stop_worker(app, name: str) -> None:
    async with app.state.sessionmaker() as session:
        worker = await session.scalar(select(Worker).where(Worker.name == name))
        await workers_service.mark_stopped(session=session, worker_id=worker.id)
        await session.commit()


def _small_job(version: str, devices: int, **extra) -> dict:
    return _job(version, devices=devices, hyperparameters={"max_steps": 1, "batch_size": 4},
                data={"max_length": 64, "validation_split": 0.0}, eval={"enabled": False}, **extra)


async def test_more_devices_than_any_worker_offers_is_refused_naming_the_most_there_is(app, client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    await _register_worker(app, "cpu-box", 1)
    for path in ("jobs", "jobs/estimate"):
        refused = await client.post(f"/api/teams/{alice.team_id}/{path}", json=_small_job(version, 4), headers=alice.headers)
        assert refused.status_code == 400, refused.text
        assert refused.json()["detail"] == (
            "No live worker can run one job on 4 devices: the most any worker offers is 1 (worker cpu-box). Pick 1 device, "
            "or start a worker with more GPUs (or TUNEFORGE_WORKER_CPU_PROCESSES on a CPU worker)."
        )
    assert (await client.get(f"/api/teams/{alice.team_id}/jobs", headers=alice.headers)).json()["total"] == 0

    # A worker offering two processes joins: /api/info shows it, and a 2-device job is accepted and
    # estimated on that worker.
    await _register_worker(app, "two-procs", 2)
    info = (await client.get("/api/info", headers=alice.headers)).json()
    assert {w["name"]: w["max_devices"] for w in info["workers"]} == {"cpu-box": 1, "two-procs": 2}
    created = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_small_job(version, 2), headers=alice.headers)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["config"]["devices"] == 2
    chosen = job["estimate"]["chosen"]
    assert (chosen["worker"], chosen["devices"], chosen["strategy"]) == ("two-procs", 2, "ddp")
    assert all(t["worker"] != "cpu-box" for t in job["estimate"]["targets"] if t["executor"] == "local")


async def test_modal_takes_at_most_eight_gpus_in_one_container_and_bills_each(client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)

    async def estimate(devices: int, gpu: str = "H100"):
        return await client.post(f"/api/teams/{alice.team_id}/jobs/estimate", headers=alice.headers,
                                 json=_small_job(version, devices, executor="modal", gpu_type=gpu))

    too_many = await estimate(9)
    assert too_many.status_code == 400
    assert too_many.json()["detail"] == "Modal attaches at most 8 H100s to one container; this job asks for 9 devices. Pick 8 or fewer."
    assert (await estimate(8, "A10G")).json()["detail"].startswith("Modal attaches at most 4 A10Gs")

    two = (await estimate(2)).json()
    chosen = two["chosen"]
    assert chosen["gpu_type"] == "H100" and chosen["devices"] == 2
    # Two GPUs for the run's wall time: twice one GPU's price for it.
    assert chosen["cost_usd"] == catalogue.cost_usd("H100", chosen["wall_seconds"], 2)
    assert chosen["cost_usd"] == pytest.approx(2 * catalogue.cost_usd("H100", chosen["wall_seconds"]), abs=1e-4)
    assert "A10G" in {t["gpu_type"] for t in two["targets"] if t["executor"] == "modal"}
    assert "A10G" not in {t["gpu_type"] for t in (await estimate(8)).json()["targets"] if t["executor"] == "modal"}


async def _queued_two_device_job(app, client, register) -> str:
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    await _register_worker(app, "two-procs", 2)
    created = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_small_job(version, 2), headers=alice.headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_a_worker_with_too_few_devices_leaves_the_job_to_one_that_offers_them(app, client, register, job_session):
    job_id = await _queued_two_device_job(app, client, register)
    before = await job_session.scalar(select(Job.queue_job_id).where(Job.id == uuid.UUID(job_id)))

    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="one-proc", devices=[_CPU])
    assert runner.max_devices == 1
    await runner.run(uuid.UUID(job_id))

    job = await job_session.scalar(
        select(Job).where(Job.id == uuid.UUID(job_id)).execution_options(populate_existing=True)
    )
    assert job.status == JobStatus.queued and job.attempt == 0 and job.worker_name is None
    assert job.queue_job_id != before  # back on the queue for two-procs


async def test_with_no_worker_offering_the_devices_the_job_fails_saying_why(app, client, register, job_session):
    job_id = await _queued_two_device_job(app, client, register)
    await _stop_worker(app, "two-procs")  # it left after the launch

    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="one-proc", devices=[_CPU])
    await runner.run(uuid.UUID(job_id))

    job = await job_session.scalar(
        select(Job).where(Job.id == uuid.UUID(job_id)).execution_options(populate_existing=True)
    )
    assert job.status == JobStatus.failed and job.error_kind == "configuration"
    assert job.hint.startswith("Run it again with changes on fewer devices")
    events = list(await job_session.scalars(select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.seq)))
    failed = next(e.data for e in events if e.type == "failed")
    assert "asks for 2 devices; worker one-proc offers 1 and no live worker offers 2" in failed["message"]
    assert not any(e.type in ("started", "metric") for e in events)  # no trainer ran


async def test_a_modal_job_on_four_gpus_asks_modal_for_four_and_pays_for_each(app, client, register, job_session):
    alice = await register()
    await _save_token(client, alice, ADA_TOKEN)
    version = await _upload(client, alice, "sums", CHAT_ROWS[:24])
    created = await client.post(f"/api/teams/{alice.team_id}/jobs", headers=alice.headers,
                                json=_small_job(version, 4, executor="modal", gpu_type="H100"))
    assert created.status_code == 201, created.text
    assert created.json()["estimate"]["chosen"]["devices"] == 4

    modal = LocalModalExecutor(expected_token=ADA_TOKEN)
    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="w-modal",
                       modal_executor_factory=lambda: modal)
    await runner.run(uuid.UUID(created.json()["id"]))

    assert [call["gpu"] for call in modal.calls] == ["H100:4"]
    job = await job_session.scalar(
        select(Job).where(Job.id == uuid.UUID(created.json()["id"])).execution_options(populate_existing=True)
    )
    # Four GPUs for the container's time: four times the GPU-seconds, each at the H100's price.
    assert job.gpu_seconds > 0
    assert job.cost_usd == pytest.approx(job.gpu_seconds * catalogue.GPU_TYPES["H100"].usd_per_hour / 3600, abs=2e-4)
