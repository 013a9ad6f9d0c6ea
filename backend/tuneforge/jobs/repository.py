"""Queries on jobs, their events and the team's job templates, shared by the web dependencies, the
WebSockets, the event fan-out and the services. Core code: no web framework here.

Team scoping: a job or template of a team the caller is not in reads as missing (404), never as forbidden,
so ids of other teams leak nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import User
from tuneforge.errors import NotFound
from tuneforge.jobs.models import Job, JobEvent, JobTemplate
from tuneforge.teams import repository as teams_repository
from tuneforge.teams.models import Role

NO_SUCH_JOB = "No such job, or it belongs to a team you are not in."
NO_SUCH_TEMPLATE = "No such template."

# Plain rows, not ORM objects: the fan-out and the WebSocket backlog read many events per second.
EVENT_COLUMNS = (JobEvent.seq, JobEvent.type, JobEvent.attempt, JobEvent.data, JobEvent.created_at)


# -- jobs ----------------------------------------------------------------------------------------


async def get_for_member(
    *, session: AsyncSession, job_id: uuid.UUID, user_id: uuid.UUID, min_role: Role = Role.viewer
) -> Job:
    """The job, if the user is in its team with at least `min_role`. Missing and not-a-member both
    raise NotFound(NO_SUCH_JOB); a member below `min_role` gets Forbidden."""
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound(NO_SUCH_JOB)
    try:
        await teams_repository.require_membership(session=session, user_id=user_id, team_id=job.team_id, min_role=min_role)
    except NotFound as exc:
        raise NotFound(NO_SUCH_JOB) from exc
    return job


async def list_in_team(
    *, session: AsyncSession, team_id: uuid.UUID, status: str | None = None, method: str | None = None,
    created_by: uuid.UUID | None = None, limit: int = 50, offset: int = 0, q: str | None = None,
) -> tuple[list[tuple[Job, str | None]], int]:
    """A page of the team's jobs, newest first, each with its creator's display name; and the total.
    `q`: only jobs whose name contains it (any case; % and _ are plain characters)."""
    query = select(Job).where(Job.team_id == team_id)
    if q and q.strip():
        text = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Job.name.ilike(f"%{text}%", escape="\\"))
    if status:
        query = query.where(Job.status.in_([s.strip() for s in status.split(",")]))
    if method:
        query = query.where(Job.method == method)
    if created_by:
        query = query.where(Job.created_by == created_by)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.add_columns(User.display_name)
        .outerjoin(User, User.id == Job.created_by)
        .order_by(Job.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(job, name) for job, name in rows.all()], int(total or 0)


async def using_versions(*, session: AsyncSession, version_ids: list[uuid.UUID]) -> list[Job]:
    """Jobs that trained (or will train) on any of these dataset versions, oldest first."""
    return list(await session.scalars(select(Job).where(Job.dataset_version_id.in_(version_ids)).order_by(Job.created_at)))


async def creator_name(*, session: AsyncSession, job: Job) -> str | None:
    if job.created_by is None:
        return None
    return await session.scalar(select(User.display_name).where(User.id == job.created_by))


# -- events --------------------------------------------------------------------------------------


async def events_after(*, session: AsyncSession, job_id: uuid.UUID, after_seq: int, limit: int) -> list[JobEvent]:
    rows = await session.scalars(
        select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.seq > after_seq).order_by(JobEvent.seq).limit(limit)
    )
    return list(rows)


async def event_rows_after(*, session: AsyncSession, job_id: uuid.UUID, after_seq: int, limit: int) -> Sequence[Any]:
    """Like events_after, as plain rows of EVENT_COLUMNS (seq, type, attempt, data, created_at)."""
    result = await session.execute(
        select(*EVENT_COLUMNS).where(JobEvent.job_id == job_id, JobEvent.seq > after_seq).order_by(JobEvent.seq).limit(limit)
    )
    return result.all()


# -- templates -----------------------------------------------------------------------------------


async def list_templates(*, session: AsyncSession, team_id: uuid.UUID) -> list[JobTemplate]:
    return list(await session.scalars(select(JobTemplate).where(JobTemplate.team_id == team_id).order_by(JobTemplate.name)))


async def template_name_taken(*, session: AsyncSession, team_id: uuid.UUID, name: str) -> bool:
    return await session.scalar(select(JobTemplate.id).where(JobTemplate.team_id == team_id, JobTemplate.name == name)) is not None


async def get_template_for_member(
    *, session: AsyncSession, template_id: uuid.UUID, user_id: uuid.UUID, min_role: Role = Role.viewer
) -> JobTemplate:
    """The template, if the user is in its team with at least `min_role` (NotFound / Forbidden otherwise)."""
    template = await session.get(JobTemplate, template_id)
    if template is None:
        raise NotFound(NO_SUCH_TEMPLATE)
    await teams_repository.require_membership(session=session, user_id=user_id, team_id=template.team_id, min_role=min_role)
    return template
