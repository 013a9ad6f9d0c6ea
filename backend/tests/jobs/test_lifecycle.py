"""A job's lifecycle: every allowed status change writes status and exactly one status event; a
refused one writes nothing; and no other code in the package assigns a job's status."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

import tuneforge
from tuneforge.jobs import lifecycle
from tuneforge.jobs.models import JobEvent, JobStatus

S = JobStatus

# How a test job reaches each status from queued, through legal transitions only.
PATH_TO = {
    S.queued: (),
    S.running: (S.running,),
    S.cancelling: (S.running, S.cancelling),
    S.interrupted: (S.running, S.interrupted),
    S.succeeded: (S.running, S.succeeded),
    S.failed: (S.running, S.failed),
    S.cancelled: (S.cancelled,),
}
ALLOWED = [(before, after) for before, targets in lifecycle.TRANSITIONS.items() for after in sorted(targets)]
REFUSED = [(before, after) for before in S for after in S if after not in lifecycle.TRANSITIONS[before]]


async def _status_events(session, job) -> list[dict]:
    rows = await session.scalars(select(JobEvent).where(JobEvent.job_id == job.id, JobEvent.type == "status").order_by(JobEvent.seq))
    return [row.data for row in rows]


def test_the_table_covers_every_status_and_reaches_every_status():
    assert set(lifecycle.TRANSITIONS) == set(S)
    reachable = set(lifecycle.NEW).union(*lifecycle.TRANSITIONS.values())
    assert reachable == set(S)
    assert lifecycle.TRANSITIONS[S.succeeded] == frozenset()
    assert all(before not in targets for before, targets in lifecycle.TRANSITIONS.items()), "no self-transitions"


async def test_a_new_job_is_born_queued_with_one_event(make_job, job_session):
    job = await make_job()
    assert job.status == S.queued and job.finished_at is None
    events = await _status_events(job_session, job)
    assert [(e["status"], e["message"]) for e in events] == [("queued", "queued")]


async def test_every_allowed_transition_writes_status_and_exactly_one_event(make_job, job_session):
    assert len(ALLOWED) >= 18
    for before, after in ALLOWED:
        job = await make_job(*PATH_TO[before])
        assert job.status == before
        already = len(await _status_events(job_session, job))
        await lifecycle.transition(session=job_session, job=job, to=after, message=f"{before}->{after}", attempt=3, worker="w")
        await job_session.flush()
        await job_session.refresh(job)

        assert job.status == after, (before, after)
        events = await _status_events(job_session, job)
        assert len(events) == already + 1, (before, after)
        assert events[-1]["status"] == after.value and events[-1]["message"] == f"{before}->{after}"
        assert events[-1]["attempt"] == 3 and events[-1]["worker"] == "w"
        if after.terminal:
            assert job.finished_at is not None
        elif after == S.queued:
            assert job.finished_at is None
        # The row keeps the message of where the job stopped; while it waits or runs it has none.
        assert job.message == (f"{before}->{after}" if after.terminal or after == S.interrupted else None)


async def test_a_refused_transition_raises_and_writes_nothing(make_job, job_session):
    for before, after in REFUSED:
        job = await make_job(*PATH_TO[before])
        events_before = await _status_events(job_session, job)
        finished_at, message = job.finished_at, job.message
        with pytest.raises(lifecycle.IllegalTransition) as refused:
            await lifecycle.transition(session=job_session, job=job, to=after, message="should not be written")
        assert refused.value.status_code == 409
        assert refused.value.detail.startswith(f"This job is {before.value}; it cannot "), refused.value.detail
        assert job.status == before and job.finished_at == finished_at and job.message == message
        await job_session.flush()
        await job_session.refresh(job)
        assert job.status == before, (before, after)
        assert await _status_events(job_session, job) == events_before, (before, after)


async def test_refusals_say_what_to_do(make_job, job_session):
    done = await make_job(S.running, S.succeeded)
    with pytest.raises(lifecycle.IllegalTransition) as refused:
        await lifecycle.transition(session=job_session, job=done, to=S.cancelled, message=None)
    assert refused.value.detail.startswith("This job is succeeded; it cannot be cancelled.")
    assert "Run again with changes" in refused.value.detail

    stopped = await make_job(S.cancelled)
    with pytest.raises(lifecycle.IllegalTransition) as refused:
        await lifecycle.transition(session=job_session, job=stopped, to=S.cancelling, message=None)
    assert refused.value.detail.startswith("This job is cancelled; it cannot be cancelled.")


# `job.status = ...`, `.status = JobStatus.x`, `setattr(job, "status", ...)`: the forms a status change takes.
_ASSIGNMENT = re.compile(r"\bjob\w*\.status\s*=(?!=)|\.status\s*=\s*JobStatus\b|setattr\([^,]+,\s*[\"']status[\"']")


def test_only_the_lifecycle_assigns_a_jobs_status():
    root = Path(tuneforge.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "lifecycle.py" or path.parent.name != "jobs"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _ASSIGNMENT.search(line)
    ]
    assert offenders == []
    # The pattern itself sees the assignments it is meant to see.
    assert _ASSIGNMENT.search((root / "jobs" / "lifecycle.py").read_text())
    assert _ASSIGNMENT.search("        job.status = JobStatus.failed")
    assert not _ASSIGNMENT.search("if job.status == JobStatus.failed:")
