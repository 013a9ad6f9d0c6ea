from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from tuneforge.web.deps import CurrentUser, SessionDep
from tuneforge.errors import NotFound
from tuneforge.jobs.models import Job
from tuneforge.teams import service as teams_service
from tuneforge.teams.models import Role


def job_in_my_team(role: Role = Role.viewer):
    """Loads the job or answers 404 — also for jobs of teams the caller is not in."""

    async def dependency(job_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Job:
        job = await session.get(Job, job_id)
        if job is None:
            raise NotFound("No such job, or it belongs to a team you are not in.")
        try:
            await teams_service.require_membership(session=session, user_id=user.id, team_id=job.team_id, min_role=role)
        except NotFound as exc:
            raise NotFound("No such job, or it belongs to a team you are not in.") from exc
        return job

    return Depends(dependency)


ViewableJob = Annotated[Job, job_in_my_team(Role.viewer)]
EditableJob = Annotated[Job, job_in_my_team(Role.member)]
