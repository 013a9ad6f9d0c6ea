from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from tuneforge.registry import repository
from tuneforge.registry.models import ModelVersion, RegisteredModel
from tuneforge.teams.models import Role
from tuneforge.web.deps import CurrentUser, SessionDep


def version_in_my_team(role: Role = Role.viewer):
    """Loads the model version or answers 404 — also for versions of teams the caller is not in."""

    async def dependency(version_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> ModelVersion:
        return await repository.version_for_member(session=session, version_id=version_id, user_id=user.id, min_role=role)

    return Depends(dependency)


def model_in_my_team(role: Role = Role.viewer):
    async def dependency(model_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> RegisteredModel:
        return await repository.model_for_member(session=session, model_id=model_id, user_id=user.id, min_role=role)

    return Depends(dependency)


ViewableVersion = Annotated[ModelVersion, version_in_my_team(Role.viewer)]
EditableVersion = Annotated[ModelVersion, version_in_my_team(Role.member)]
ViewableModel = Annotated[RegisteredModel, model_in_my_team(Role.viewer)]
