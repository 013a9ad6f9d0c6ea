from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from tuneforge.playground import repository
from tuneforge.playground.models import BatchCompare, Generation, PlaygroundTurn
from tuneforge.teams.models import Role
from tuneforge.web.deps import CurrentUser, SessionDep


def _turn(role: Role):
    async def dependency(turn_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> PlaygroundTurn:
        return await repository.turn_for_member(session=session, turn_id=turn_id, user_id=user.id, min_role=role)

    return Depends(dependency)


def _generation(role: Role):
    async def dependency(generation_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Generation:
        return await repository.generation_for_member(session=session, generation_id=generation_id, user_id=user.id, min_role=role)

    return Depends(dependency)


def _batch(role: Role):
    async def dependency(batch_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> BatchCompare:
        return await repository.batch_for_member(session=session, batch_id=batch_id, user_id=user.id, min_role=role)

    return Depends(dependency)


ViewableTurn = Annotated[PlaygroundTurn, _turn(Role.viewer)]
UsableTurn = Annotated[PlaygroundTurn, _turn(Role.member)]
ViewableGeneration = Annotated[Generation, _generation(Role.viewer)]
UsableGeneration = Annotated[Generation, _generation(Role.member)]
ViewableBatch = Annotated[BatchCompare, _batch(Role.viewer)]
UsableBatch = Annotated[BatchCompare, _batch(Role.member)]
