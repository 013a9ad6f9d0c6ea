"""The local executor runs the trainer as a subprocess and enforces the job's time limit: past it the
trainer gets SIGTERM (it saves a checkpoint), then SIGKILL after the grace period; the job then ends
failed with error_kind "timeout". Stand-in trainers keep this fast."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time

from sqlalchemy import select

from tuneforge.jobs.models import JobEvent, JobStatus
from tuneforge.worker.local_executor import LocalExecutor


def _stand_in(body: str) -> list[str]:
    """A trainer command: `python -c <body> <spec.json>`; it reports its pid first."""
    prelude = "import json, os, signal, sys, time\nprint(json.dumps({'type': 'started', 'pid': os.getpid()}), flush=True)\n"
    return [sys.executable, "-c", prelude + textwrap.dedent(body)]


async def _run(executor: LocalExecutor, tmp_path, timeout_s: float | None):
    events: list[dict] = []
    started = time.monotonic()
    result = await executor.run(spec={"method": "sft"}, timeout_s=timeout_s, on_event=events.append, output_dir=tmp_path / "output")
    return result, events, time.monotonic() - started


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_a_run_relays_events_and_keeps_the_stderr_tail(tmp_path):
    executor = LocalExecutor(command=_stand_in("""
        spec = json.load(open(sys.argv[1]))
        print(json.dumps({"type": "finished", "method": spec["method"]}))
        print("not json")
        print("a warning", file=sys.stderr)
    """))
    result, events, _ = await _run(executor, tmp_path, timeout_s=30)
    assert result.returncode == 0 and not result.timed_out
    assert [e["type"] for e in events] == ["started", "finished", "log"]
    assert events[1]["method"] == "sft" and events[2]["message"] == "not json"
    assert result.stderr_tail == "a warning"
    assert (tmp_path / "spec.json").exists()


async def test_past_its_time_limit_the_trainer_saves_a_checkpoint_and_stops(tmp_path):
    # Like the real trainer: SIGTERM sets a stop flag; it saves a checkpoint, reports it and exits.
    executor = LocalExecutor(command=_stand_in("""
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        while not stop:
            time.sleep(0.05)
        print(json.dumps({"type": "cancelled", "checkpoint": "checkpoint-7"}), flush=True)
    """), stop_grace_s=10)
    result, events, elapsed = await _run(executor, tmp_path, timeout_s=1)
    assert result.timed_out and result.returncode == 0
    assert elapsed < 5
    assert any(e["type"] == "log" and "time limit" in e["message"] for e in events)
    assert events[-1] == {"type": "cancelled", "checkpoint": "checkpoint-7"}
    assert _gone(events[0]["pid"])


async def test_a_trainer_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    executor = LocalExecutor(command=_stand_in("""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)
    """), stop_grace_s=1)
    result, events, elapsed = await _run(executor, tmp_path, timeout_s=1)
    assert result.timed_out and result.returncode == -signal.SIGKILL
    assert 1.5 < elapsed < 6
    assert _gone(events[0]["pid"])


async def test_a_timed_out_job_ends_failed_with_error_kind_timeout(make_job, job_session, app, tmp_path):
    from tuneforge.storage import Storage
    from tuneforge.worker.supervisor import JobRunner, RunOutcome

    job = await make_job(JobStatus.running, timeout_minutes=60)
    await job_session.commit()
    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=Storage(tmp_path), worker_name="w1")
    # What the local executor reports at the limit: the trainer's own "cancelled" (checkpoint saved).
    await runner._finish(job.id, RunOutcome(returncode=0, timed_out=True), {"type": "cancelled"}, elapsed_s=3600.0, attempt=job.attempt)

    await job_session.refresh(job)
    assert job.status == JobStatus.failed and job.error_kind == "timeout"
    assert job.message.startswith("stopped after the 60-minute time limit")
    assert "Run again with changes" in job.message and job.finished_at is not None
    last = await job_session.scalar(select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.seq.desc()).limit(1))
    assert last.data["status"] == "failed" and last.data["message"] == job.message and last.data["elapsed_s"] == 3600.0


async def test_a_late_report_of_an_old_attempt_does_not_overwrite_the_running_one(make_job, job_session, app, tmp_path):
    from tuneforge.storage import Storage
    from tuneforge.worker.supervisor import JobRunner, RunOutcome

    # The job was taken over (attempt 2 runs elsewhere) while the worker of attempt 1 was thought dead.
    job = await make_job(JobStatus.running)
    job.attempt = 2
    await job_session.commit()
    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=Storage(tmp_path), worker_name="w-old")
    await runner._finish(job.id, RunOutcome(returncode=1), {"type": "failed", "kind": "runtime", "message": "boom"},
                         elapsed_s=5.0, attempt=1)

    await job_session.refresh(job)
    assert job.status == JobStatus.running and job.message != "boom"
