"""The team analytics dashboard: its numbers against a hand-built set of jobs, its period, team
isolation, who may read it, and the CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

PERIOD = {"from": "2026-03-01", "to": "2026-03-10"}


def at(day: int, hour: float = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC) + timedelta(hours=hour)


def make_job(team_id, created_by, created_at, **fields):
    from tuneforge.jobs.models import Executor, Job, JobStatus

    defaults = dict(
        team_id=uuid.UUID(str(team_id)), created_by=created_by, name="j", status=JobStatus.succeeded, method="sft",
        adapter="lora", base_model="tiny-llama", config={}, executor=Executor.local, created_at=created_at,
        queued_at=created_at, updated_at=fields.get("finished_at") or created_at,
    )
    return Job(**{**defaults, **fields})


async def add_member(db, team_id: str, user_id: str, role: str) -> None:
    from tuneforge.teams.models import Membership, Role

    async with AsyncSession(bind=db, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        session.add(Membership(team_id=uuid.UUID(team_id), user_id=uuid.UUID(user_id), role=Role(role)))
        await session.commit()


@pytest.fixture
async def teams(client, register, db):
    """Alice's team with nine jobs in the period (and some outside it), Carol a member of it, Bob's team next door."""
    from tuneforge.datasets.models import Dataset
    from tuneforge.jobs.models import Executor, JobStatus

    alice, bob, carol = await register(name="Alice"), await register(name="Bob"), await register(name="Carol")
    await add_member(db, alice.team_id, carol.tokens["user"]["id"], "member")
    team, a, c = alice.team_id, uuid.UUID(alice.tokens["user"]["id"]), uuid.UUID(carol.tokens["user"]["id"])
    m = lambda minutes: timedelta(minutes=minutes)  # noqa: E731
    jobs = {
        # succeeded on a local CUDA GPU: waited 10 min, ran 1 h; train loss 1.0, eval loss 1.5
        "gpu": make_job(team, a, at(2, 10), name="gpu run", device_type="cuda", started_at=at(2, 10) + m(10), finished_at=at(2, 10) + m(70),
                        result={"metrics": {"final_loss": 1.0, "eval_loss": 1.5}}),
        # Carol's, on a CPU worker (though it asked for CUDA: the reported device decides): waited 30 min, ran 2 h;
        # its loss only in the last metric event
        "cpu": make_job(team, c, at(2, 12), name="cpu run", device_type="cpu", needs_cuda=True, started_at=at(2, 12) + m(30), finished_at=at(2, 12) + m(150),
                        latest_metrics={"loss": 2.0, "step": 10}),
        # out of memory on Modal: billed 900 s (its wall time is not used), $0.50
        "oom": make_job(team, a, at(3, 9), name="=oom run", method="dpo", status=JobStatus.failed, error_kind="out_of_memory",
                        executor=Executor.modal, gpu_type="T4", started_at=at(3, 9) + m(1), finished_at=at(3, 9) + m(5),
                        gpu_seconds=900.0, cost_usd=0.5),
        "data": make_job(team, a, at(3, 11), name="bad data", method="dpo", status=JobStatus.failed, error_kind="dataset"),
        "config": make_job(team, a, at(5), name="bad config", status=JobStatus.failed, error_kind="configuration"),
        "crash": make_job(team, a, at(5, 11), name="crash", status=JobStatus.failed, error_kind="runtime"),
        "cancelled": make_job(team, a, at(6), name="cancelled", status=JobStatus.cancelled),
        # its worker went away after 1 h; it needed CUDA and never reported a device: GPU
        "interrupted": make_job(team, a, at(6, 11), name="interrupted", status=JobStatus.interrupted, needs_cuda=True,
                                started_at=at(6, 11) + m(2), updated_at=at(6, 11) + m(62)),
        "last_day": make_job(team, a, at(10, 23.5), name="late", status=JobStatus.queued),
        # outside the period, or another team's: never counted
        "before": make_job(team, a, at(28, 10, month=2), name="february", executor=Executor.modal, gpu_seconds=7200.0,
                           cost_usd=10.0, started_at=at(28, 10, month=2), finished_at=at(28, 12, month=2)),
        "after": make_job(team, a, at(11, 0), name="next day", status=JobStatus.failed, error_kind="out_of_memory"),
        "bobs": make_job(bob.team_id, None, at(4), name="bob's", status=JobStatus.failed, error_kind="out_of_memory",
                         executor=Executor.modal, gpu_seconds=3600.0, cost_usd=5.0, started_at=at(4), finished_at=at(4, 11)),
    }
    async with AsyncSession(bind=db, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        session.add_all(jobs.values())
        session.add_all([
            Dataset(team_id=uuid.UUID(team), name="recent", created_at=at(4)),
            Dataset(team_id=uuid.UUID(team), name="old", created_at=at(1, month=1)),
            Dataset(team_id=uuid.UUID(bob.team_id), name="bob's", created_at=at(4)),
        ])
        await session.commit()
    return {"alice": alice, "bob": bob, "carol": carol, "jobs": jobs}


async def test_the_numbers_match_the_jobs(client, teams):
    alice, jobs = teams["alice"], teams["jobs"]
    response = await client.get(f"/api/teams/{alice.team_id}/analytics", params=PERIOD, headers=alice.headers)
    assert response.status_code == 200, response.text
    a = response.json()
    assert (a["from"], a["to"]) == ("2026-03-01", "2026-03-10")
    assert a["total_jobs"] == 9
    assert a["by_status"] == {"succeeded": 2, "failed": 4, "cancelled": 1, "interrupted": 1, "queued": 1}
    assert a["inventory"]["datasets"] == {"total": 2, "created": 1}
    assert a["inventory"]["models"] == {"total": 0, "created": 0}

    days = {d["day"]: d for d in a["per_day"]}
    assert len(a["per_day"]) == 10 and a["per_day"][0]["day"] == "2026-03-01"
    assert days["2026-03-02"] == {"day": "2026-03-02", "total": 2, "by_status": {"succeeded": 2}}
    assert days["2026-03-06"]["by_status"] == {"cancelled": 1, "interrupted": 1}
    assert days["2026-03-10"]["by_status"] == {"queued": 1}  # 23:30 UTC on the last day is in
    assert days["2026-03-04"]["total"] == 0

    # GPU: 1 h local CUDA + 0.25 h billed on Modal + 1 h interrupted (needed CUDA); CPU: Carol's 2 h
    assert a["gpu_hours"] == pytest.approx(2.25)
    assert a["cpu_hours"] == pytest.approx(2.0)
    assert a["cost_usd"] == pytest.approx(0.5)
    by_method = {r["method"]: r for r in a["compute_by_method"]}
    assert by_method["sft"] == {"method": "sft", "jobs": 7, "gpu_hours": 2.0, "cpu_hours": 2.0}
    assert by_method["dpo"] == {"method": "dpo", "jobs": 2, "gpu_hours": 0.25, "cpu_hours": 0.0}
    by_member = {r["name"]: r for r in a["compute_by_member"]}
    assert by_member["Alice"]["jobs"] == 8 and by_member["Alice"]["gpu_hours"] == pytest.approx(2.25)
    assert by_member["Carol"] == {"user_id": teams["carol"].tokens["user"]["id"], "name": "Carol", "jobs": 1,
                                  "gpu_hours": 0.0, "cpu_hours": 2.0}
    assert "Bob" not in by_member

    assert a["modal_cost_by_month"] == [{"month": "2026-03-01", "cost_usd": 0.5, "budget_usd": None}]
    # 2 succeeded of 7 that ended (2 succeeded, 4 failed, 1 cancelled)
    assert a["success_rate"] == pytest.approx(2 / 7, abs=1e-4)
    causes = {c["cause"]: c for c in a["failure_causes"]}
    assert [c["cause"] for c in a["failure_causes"]] == ["out_of_memory", "data", "configuration", "interrupted",
                                                          "cancelled", "other"]
    assert all(c["jobs"] == 1 for c in a["failure_causes"])
    assert causes["out_of_memory"]["examples"] == [{"id": str(jobs["oom"].id), "name": "=oom run"}]
    assert causes["other"]["examples"][0]["id"] == str(jobs["crash"].id)

    # waits 60 s, 120 s, 600 s, 1800 s; runs 240 s, 3600 s, 7200 s
    assert a["median_queue_wait_s"] == pytest.approx(360.0)
    assert a["median_run_time_s"] == pytest.approx(3600.0)
    assert a["loss_by_method"] == [{"method": "sft", "jobs": 2, "median_final_loss": 1.5, "mean_final_loss": 1.5,
                                    "median_eval_loss": 1.5}]
    assert [j["name"] for j in a["recent_jobs"]][:3] == ["late", "interrupted", "cancelled"]
    assert len(a["recent_jobs"]) == 9
    assert {j["id"] for j in a["recent_jobs"]}.isdisjoint({str(jobs[k].id) for k in ("before", "after", "bobs")})


async def test_the_period_filters_the_jobs(client, teams):
    alice = teams["alice"]
    one_day = (await client.get(f"/api/teams/{alice.team_id}/analytics", params={"from": "2026-03-06", "to": "2026-03-06"},
                                headers=alice.headers)).json()
    assert one_day["total_jobs"] == 2
    assert [c["cause"] for c in one_day["failure_causes"]] == ["interrupted", "cancelled"]
    assert one_day["success_rate"] == 0.0  # one ended (cancelled), none succeeded
    february = (await client.get(f"/api/teams/{alice.team_id}/analytics", params={"from": "2026-02-01", "to": "2026-03-01"},
                                 headers=alice.headers)).json()
    assert february["total_jobs"] == 1
    assert february["gpu_hours"] == pytest.approx(2.0)
    assert [(m["month"], m["cost_usd"]) for m in february["modal_cost_by_month"]] == [("2026-02-01", 10.0), ("2026-03-01", 0.0)]


async def test_another_teams_jobs_never_count(client, teams):
    bob = teams["bob"]
    a = (await client.get(f"/api/teams/{bob.team_id}/analytics", params=PERIOD, headers=bob.headers)).json()
    assert a["total_jobs"] == 1
    assert a["cost_usd"] == 5.0
    assert a["inventory"]["datasets"] == {"total": 1, "created": 1}
    assert [r["name"] for r in a["recent_jobs"]] == ["bob's"]


async def test_bad_periods_say_what_to_change(client, teams):
    alice = teams["alice"]
    url = f"/api/teams/{alice.team_id}/analytics"
    backwards = await client.get(url, params={"from": "2026-03-10", "to": "2026-03-01"}, headers=alice.headers)
    assert backwards.status_code == 400
    assert "swap" in backwards.json()["detail"]
    too_long = await client.get(url, params={"from": "2024-01-01", "to": "2026-03-01"}, headers=alice.headers)
    assert too_long.status_code == 400
    assert "at most 366 days" in too_long.json()["detail"]
    not_a_date = await client.get(url, params={"from": "March"}, headers=alice.headers)
    assert not_a_date.status_code == 422


async def test_the_default_period_is_the_last_30_days_and_a_running_job_counts_until_now(client, register, db):
    from tuneforge.jobs.models import JobStatus

    alice = await register()
    now = datetime.now(UTC)
    async with AsyncSession(bind=db, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        session.add_all([
            make_job(alice.team_id, None, now - timedelta(hours=1), status=JobStatus.running, needs_cuda=True,
                     started_at=now - timedelta(minutes=30)),
            make_job(alice.team_id, None, now - timedelta(days=31), name="too old"),
        ])
        await session.commit()
    a = (await client.get(f"/api/teams/{alice.team_id}/analytics", headers=alice.headers)).json()
    assert a["to"] == now.date().isoformat()
    assert a["from"] == (now.date() - timedelta(days=29)).isoformat()
    assert len(a["per_day"]) == 30
    assert a["total_jobs"] == 1
    assert a["gpu_hours"] == pytest.approx(0.5, abs=0.01)


async def test_a_new_team_has_empty_numbers(client, register):
    alice = await register()
    a = (await client.get(f"/api/teams/{alice.team_id}/analytics", headers=alice.headers)).json()
    assert a["total_jobs"] == 0 and a["by_status"] == {}
    assert a["success_rate"] is None and a["median_queue_wait_s"] is None
    assert a["failure_causes"] == [] and a["recent_jobs"] == [] and a["compute_by_member"] == []
    assert all(day["total"] == 0 for day in a["per_day"])


async def test_a_viewer_reads_and_another_team_gets_404(client, register, db, teams):
    alice, bob = teams["alice"], teams["bob"]
    viewer = await register(name="Vic")
    await add_member(db, alice.team_id, viewer.tokens["user"]["id"], "viewer")
    for path in ("analytics", "analytics.csv"):
        assert (await client.get(f"/api/teams/{alice.team_id}/{path}", params=PERIOD, headers=viewer.headers)).status_code == 200
        stranger = await client.get(f"/api/teams/{alice.team_id}/{path}", params=PERIOD, headers=bob.headers)
        assert stranger.status_code == 404
        assert "not a member" in stranger.json()["detail"]


async def test_the_csv_has_the_same_numbers(client, teams):
    alice, jobs = teams["alice"], teams["jobs"]
    url = f"/api/teams/{alice.team_id}/analytics.csv"
    causes = await client.get(url, params={**PERIOD, "table": "failure_causes"}, headers=alice.headers)
    assert causes.status_code == 200
    assert causes.headers["content-type"].startswith("text/csv")
    assert 'filename="analytics-2026-03-01-2026-03-10-failure_causes.csv"' in causes.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(causes.text)))
    assert rows[0] == ["cause", "jobs", "recent_job_ids"]
    assert rows[1] == ["out_of_memory", "1", str(jobs["oom"].id)]
    assert len(rows) == 7

    everything = (await client.get(url, params=PERIOD, headers=alice.headers)).text
    sections = {block.split("\n", 1)[0]: list(csv.reader(io.StringIO(block.split("\n", 1)[1])))
                for block in everything.strip().split("\n\n")}
    assert list(sections) == ["# summary", "# jobs_per_day", "# compute_by_method", "# compute_by_member",
                              "# modal_cost_by_month", "# failure_causes", "# loss_by_method", "# recent_jobs"]
    summary = dict(sections["# summary"][1:])
    assert summary["jobs"] == "9" and summary["gpu_hours"] == "2.25" and summary["success_rate"] == "0.2857"
    per_day = sections["# jobs_per_day"]
    assert per_day[0][:2] == ["day", "total"] and len(per_day) == 11
    assert ["2026-03", "0.5", ""] in sections["# modal_cost_by_month"]
    # a name typed like a formula reads as text in a spreadsheet
    assert any(row[1] == "'=oom run" for row in sections["# recent_jobs"][1:])

    unknown = await client.get(url, params={"table": "secrets"}, headers=alice.headers)
    assert unknown.status_code == 400
    assert "Pick one of" in unknown.json()["detail"]


def test_compute_seconds_the_rule_the_sql_follows():
    """jobs.service.compute_seconds is the rule (docs/api/jobs.md, "Compute hours") the analytics SQL
    writes again; the numbers test above holds the SQL to the same cases."""
    from tuneforge.jobs.models import Executor, Job, JobStatus
    from tuneforge.jobs.service import compute_seconds

    now = datetime.now(UTC)
    running = Job(status=JobStatus.running, executor=Executor.local, needs_cuda=True, started_at=now - timedelta(minutes=30))
    assert compute_seconds(running, None, now) == (1800.0, 0.0)
    interrupted = Job(status=JobStatus.interrupted, executor=Executor.local, needs_cuda=False,
                      started_at=now - timedelta(hours=2), updated_at=now - timedelta(hours=1))
    assert compute_seconds(interrupted, "cpu", now) == (0.0, 3600.0)
    assert compute_seconds(interrupted, "mps", now) == (3600.0, 0.0)


async def test_the_event_relay_keeps_the_trainers_device_on_the_job(db):
    """Compute hours read `job.device_type`; the worker's relay sets it from the trainer's "started" event."""
    from tuneforge.jobs.event_store import append_events
    from tuneforge.jobs.models import Job
    from tuneforge.teams.models import Team
    from tuneforge.worker.supervisor import progress_fields

    async with AsyncSession(bind=db, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        team = Team(name="t", slug=f"t-{uuid.uuid4().hex[:8]}")
        session.add(team)
        await session.flush()
        job = make_job(team.id, None, datetime.now(UTC))
        session.add(job)
        await session.flush()
        for events, expected in (
            ([{"type": "phase", "name": "loading_model"}], None),
            ([{"type": "started", "device": {"type": "cuda", "name": "RTX 4090"}, "total_steps": 10}], "cuda"),
            ([{"type": "metric", "step": 1, "loss": 2.0}], "cuda"),  # later events keep it
            ([{"type": "started", "device": {"type": "cpu", "name": "cpu"}}], "cpu"),  # a resume elsewhere: the last one
        ):
            await append_events(session=session, job_id=job.id, events=events, attempt=1, progress=progress_fields(events))
            await session.refresh(job)
            assert job.device_type == expected
