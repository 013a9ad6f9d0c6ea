from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from tuneforge.jobs import repository
from tuneforge.jobs.models import Job
from tuneforge.teams.models import Role
from tuneforge.web.deps import CurrentUser, SessionDep


def job_in_my_team(role: Role = Role.viewer):
    """Loads the job or answers 404 — also for jobs of teams the caller is not in."""

    async def dependency(job_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Job:
        return await repository.get_for_member(session=session, job_id=job_id, user_id=user.id, min_role=role)

    return Depends(dependency)


ViewableJob = Annotated[Job, job_in_my_team(Role.viewer)]
EditableJob = Annotated[Job, job_in_my_team(Role.member)]
