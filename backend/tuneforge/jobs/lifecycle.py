"""A job's lifecycle: the one place that changes a job's status.

Every status change goes through `transition`, which checks it against `TRANSITIONS`, writes the
status (and `finished_at`), appends the `status` event to the job's stream and tells the team's
list views, all in the caller's transaction. Nothing else assigns `job.status`.

    (new) ──> queued ──> running ──> succeeded | failed
                 │          ├──────> cancelling ──> cancelled (or succeeded | failed | interrupted)
                 │          └──────> interrupted ──> running (resumed) | queued | cancelled
                 └──> cancelled (before it ran)
    failed | cancelled | interrupted ──> queued (Retry, Resume)

The exact rules are `TRANSITIONS`; a new row (no status yet) can only become queued.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.errors import Conflict
from tuneforge.jobs.event_store import announce_job_change, append_events, status_event
from tuneforge.jobs.models import Job, JobStatus

S = JobStatus

# A new row (no status yet) can only be queued.
NEW: frozenset[JobStatus] = frozenset({S.queued})

TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    # picked up by a worker; cancelled before it ran; its worker died between taking it and starting it
    S.queued: frozenset({S.running, S.cancelled, S.interrupted}),
    # the trainer's outcome; a cancel request; its worker stopped (shutdown, or stopped heartbeating)
    S.running: frozenset({S.succeeded, S.failed, S.cancelling, S.interrupted}),
    # the trainer saved its checkpoint (or finished, or failed first); the worker stopped meanwhile
    S.cancelling: frozenset({S.cancelled, S.succeeded, S.failed, S.interrupted}),
    # resumed (by a worker, or queued by Retry/Resume); cancelled while waiting; a worker that was
    # thought gone reports its run's outcome after all
    S.interrupted: frozenset({S.running, S.queued, S.cancelled, S.succeeded, S.failed}),
    # Retry (from scratch) or Resume (from the last checkpoint)
    S.failed: frozenset({S.queued}),
    S.cancelled: frozenset({S.queued}),
    S.succeeded: frozenset(),
}

# How a refused change reads: "This job is succeeded; it cannot <verb>."
_VERBS = {
    S.queued: "be queued again",
    S.running: "start running",
    S.cancelling: "be cancelled",
    S.cancelled: "be cancelled",
    S.succeeded: "succeed now",
    S.failed: "fail now",
    S.interrupted: "be interrupted",
}
_NEXT_STEP = {
    S.succeeded: "Use Run again with changes to train a new job from its settings.",
    S.failed: "Retry or Resume it to run it again.",
    S.cancelled: "Retry or Resume it to run it again.",
    S.interrupted: "Resume it, or cancel it.",
    S.queued: "Wait for a worker to pick it up, or cancel it.",
    S.running: "Wait for it to finish, or cancel it.",
    S.cancelling: "Wait for it to save its checkpoint and stop.",
}


class IllegalTransition(Conflict):
    """A status change the lifecycle does not allow; nothing was written."""

    def __init__(self, current: JobStatus | None, to: JobStatus) -> None:
        self.current = current
        self.to = to
        if current is None:
            detail = f"A new job can only be queued, not {to.value}."
        else:
            detail = f"This job is {current.value}; it cannot {_VERBS[to]}. {_NEXT_STEP[current]}"
        super().__init__(detail)


def allowed(current: JobStatus | None, to: JobStatus) -> bool:
    """Whether a job in `current` (None: a new row) may move to `to`."""
    return to in (NEW if current is None else TRANSITIONS[current])


# The job row keeps the message of where a job stopped (an outcome, or why it waits to be resumed);
# while it is queued, running or saving its checkpoint the row has none (the event still does).
_KEEPS_MESSAGE = frozenset({S.succeeded, S.failed, S.cancelled, S.interrupted})


async def transition(
    *, session: AsyncSession, job: Job, to: JobStatus, message: str | None, **event_fields: Any
) -> None:
    """Moves `job` to `to`: status, `finished_at`, `message`, one `status` event (with `message` and
    `event_fields`), and the team feed's notification — in the caller's transaction.

    Raises IllegalTransition, having written nothing, when the table does not allow the change.
    A new row (not yet in the session, no status) is added and flushed, so its events can follow."""
    current = job.status
    if not allowed(current, to):
        raise IllegalTransition(current, to)
    job.status = to
    if to.terminal:
        job.finished_at = datetime.now(UTC)
    elif to == S.queued:
        job.finished_at = None
    job.message = message if to in _KEEPS_MESSAGE else None
    state = inspect(job)
    if state.transient or state.pending:
        session.add(job)
        await session.flush()
    await append_events(session=session, job_id=job.id, events=[status_event(to.value, message, **event_fields)], attempt=job.attempt)
    await announce_job_change(session=session, job=job)
