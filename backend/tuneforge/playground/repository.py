"""Queries on the playground's turns, answers, feedback and batch comparisons. Anything of a team the
caller is not in reads as missing (404)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.errors import NotFound
from tuneforge.playground.models import BatchCompare, Feedback, FeedbackDataset, FeedbackKind, Generation, PlaygroundTurn
from tuneforge.teams import repository as teams_repository
from tuneforge.teams.models import Role

NO_SUCH_TURN = "No such playground chat, or it belongs to a team you are not in."
NO_SUCH_ANSWER = "No such playground answer, or it belongs to a team you are not in."
NO_SUCH_BATCH = "No such batch comparison, or it belongs to a team you are not in."


async def _member(session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID, min_role: Role, message: str) -> None:
    await teams_repository.require_membership(session=session, user_id=user_id, team_id=team_id, min_role=min_role,
                                              not_found=message)


async def turn_for_member(*, session: AsyncSession, turn_id: uuid.UUID, user_id: uuid.UUID, min_role: Role = Role.viewer) -> PlaygroundTurn:
    turn = await session.get(PlaygroundTurn, turn_id)
    if turn is None:
        raise NotFound(NO_SUCH_TURN)
    await _member(session, user_id, turn.team_id, min_role, NO_SUCH_TURN)
    return turn


async def generation_for_member(
    *, session: AsyncSession, generation_id: uuid.UUID, user_id: uuid.UUID, min_role: Role = Role.viewer
) -> Generation:
    generation = await session.get(Generation, generation_id)
    if generation is None:
        raise NotFound(NO_SUCH_ANSWER)
    await _member(session, user_id, generation.team_id, min_role, NO_SUCH_ANSWER)
    return generation


async def batch_for_member(*, session: AsyncSession, batch_id: uuid.UUID, user_id: uuid.UUID, min_role: Role = Role.viewer) -> BatchCompare:
    batch = await session.get(BatchCompare, batch_id)
    if batch is None:
        raise NotFound(NO_SUCH_BATCH)
    await _member(session, user_id, batch.team_id, min_role, NO_SUCH_BATCH)
    return batch


async def answers_of(*, session: AsyncSession, turn_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Generation]]:
    rows = await session.scalars(select(Generation).where(Generation.turn_id.in_(list(turn_ids))).order_by(Generation.slot))
    found: dict[uuid.UUID, list[Generation]] = {t: [] for t in turn_ids}
    for row in rows:
        found[row.turn_id].append(row)
    return found


async def recent_turns(*, session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID, limit: int) -> Sequence[PlaygroundTurn]:
    return (await session.scalars(
        select(PlaygroundTurn).where(PlaygroundTurn.team_id == team_id, PlaygroundTurn.user_id == user_id)
        .order_by(PlaygroundTurn.created_at.desc()).limit(limit)
    )).all()


async def feedback_dataset(*, session: AsyncSession, team_id: uuid.UUID, kind: FeedbackKind, lock: bool = False) -> FeedbackDataset | None:
    query = select(FeedbackDataset).where(FeedbackDataset.team_id == team_id, FeedbackDataset.kind == kind)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def feedback_datasets(*, session: AsyncSession, team_id: uuid.UUID) -> Sequence[FeedbackDataset]:
    return (await session.scalars(select(FeedbackDataset).where(FeedbackDataset.team_id == team_id))).all()


async def feedback_rows(*, session: AsyncSession, team_id: uuid.UUID, kind: FeedbackKind) -> list[dict]:
    rows = await session.scalars(
        select(Feedback.row).where(Feedback.team_id == team_id, Feedback.kind == kind).order_by(Feedback.created_at, Feedback.id)
    )
    return list(rows)


async def count_feedback(*, session: AsyncSession, team_id: uuid.UUID, kind: FeedbackKind) -> int:
    return int(await session.scalar(select(func.count()).select_from(Feedback).where(Feedback.team_id == team_id, Feedback.kind == kind)) or 0)


async def batches_in_team(*, session: AsyncSession, team_id: uuid.UUID, limit: int) -> Sequence[BatchCompare]:
    return (await session.scalars(
        select(BatchCompare).where(BatchCompare.team_id == team_id).order_by(BatchCompare.created_at.desc()).limit(limit)
    )).all()
