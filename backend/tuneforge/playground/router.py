"""The playground's routes: chat turns answered by workers (one side, or two side by side, optionally
blind), cancel, feedback saved as dataset versions, and batch comparisons. Answers stream over
`/api/ws/generations/{id}` (playground/ws.py)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from tuneforge.config import get_settings
from tuneforge.playground import service
from tuneforge.playground.deps import UsableBatch, UsableGeneration, UsableTurn, ViewableBatch, ViewableGeneration, ViewableTurn
from tuneforge.playground.schemas import (
    BatchCreate, BatchPickIn, BatchRead, BatchSummary, EditIn, FeedbackDatasetRead, FeedbackResult, GenerationRead, PickIn,
    PlaygroundWorkers, RatingIn, TurnCreate, TurnRead,
)
from tuneforge.storage import get_storage
from tuneforge.teams.models import Membership, Role
from tuneforge.web.deps import CurrentUser, SessionDep, TeamMember

router = APIRouter(tags=["playground"])


@router.get("/teams/{team_id}/playground/workers")
async def playground_workers(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> PlaygroundWorkers:
    """Whether a worker can answer now, and the biggest model its cache holds."""
    return await service.worker_capacity(session=session, settings=get_settings())


@router.post("/teams/{team_id}/playground/turns", status_code=status.HTTP_201_CREATED)
async def create_turn(
    team_id: uuid.UUID, body: TurnCreate, session: SessionDep, user: CurrentUser, membership: Membership = TeamMember(Role.member),
) -> TurnRead:
    """Ask one model, or two side by side, to answer the conversation. The answers are written by a
    worker: follow them on /api/ws/generations/{id}. 503 when no online worker can load the model."""
    return await service.create_turn(session=session, settings=get_settings(), storage=get_storage(), team_id=team_id,
                                     user=user, body=body)


@router.get("/teams/{team_id}/playground/turns")
async def list_turns(
    team_id: uuid.UUID, session: SessionDep, user: CurrentUser, membership: Membership = TeamMember(Role.viewer),
    limit: int = Query(default=20, ge=1, le=100),
) -> list[TurnRead]:
    """Your most recent turns in this team, newest first."""
    return await service.recent_turns(session=session, team_id=team_id, user_id=user.id, limit=limit)


@router.get("/playground/turns/{turn_id}")
async def get_turn(turn: ViewableTurn, session: SessionDep) -> TurnRead:
    return await service.read_turn(session=session, turn=turn)


@router.post("/playground/turns/{turn_id}/pick")
async def pick(turn: UsableTurn, body: PickIn, session: SessionDep, user: CurrentUser) -> FeedbackResult:
    """The better answer: saved as a preference row (a new version of the team's preference dataset);
    a blind turn shows its models now. A tie saves no row."""
    return await service.pick(session=session, storage=get_storage(), turn=turn, user=user, choice=body.choice)


@router.get("/playground/generations/{generation_id}")
async def get_generation(generation: ViewableGeneration, session: SessionDep) -> GenerationRead:
    return await service.read_generation(session=session, generation=generation)


@router.post("/playground/generations/{generation_id}/cancel")
async def cancel_generation(generation: UsableGeneration, session: SessionDep) -> GenerationRead:
    """Stop an answer: a queued one at once, a running one at its next token (the text so far is kept)."""
    await service.cancel_generation(session=session, generation=generation)
    return await service.read_generation(session=session, generation=generation)


@router.post("/playground/generations/{generation_id}/rating")
async def rate(generation: UsableGeneration, body: RatingIn, session: SessionDep, user: CurrentUser) -> FeedbackResult:
    """Thumbs up or down: saved as a KTO row (a new version of the team's ratings dataset)."""
    return await service.rate(session=session, storage=get_storage(), generation=generation, user=user, rating=body.rating)


@router.post("/playground/generations/{generation_id}/edit")
async def edit(generation: UsableGeneration, body: EditIn, session: SessionDep, user: CurrentUser) -> FeedbackResult:
    """Keep a corrected answer: saved as an SFT row (a new version of the team's edits dataset)."""
    return await service.edit(session=session, storage=get_storage(), generation=generation, user=user, text=body.text)


@router.get("/teams/{team_id}/playground/feedback")
async def feedback_datasets(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> list[FeedbackDatasetRead]:
    """The team's feedback datasets (preferences, ratings, edits) with their latest versions."""
    return await service.feedback_datasets(session=session, team_id=team_id)


@router.post("/teams/{team_id}/batch-compares", status_code=status.HTTP_201_CREATED)
async def create_batch(
    team_id: uuid.UUID, body: BatchCreate, session: SessionDep, user: CurrentUser, membership: Membership = TeamMember(Role.member),
) -> BatchRead:
    """Answer a dataset version's prompts with two or more model versions on a worker, then score them."""
    return await service.create_batch(session=session, settings=get_settings(), storage=get_storage(), team_id=team_id,
                                      user=user, body=body)


@router.get("/teams/{team_id}/batch-compares")
async def list_batches(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> list[BatchSummary]:
    return await service.list_batches(session=session, team_id=team_id)


@router.get("/batch-compares/{batch_id}")
async def get_batch(batch: ViewableBatch, session: SessionDep) -> BatchRead:
    return await service.read_batch(session=session, batch=batch)


@router.post("/batch-compares/{batch_id}/cancel")
async def cancel_batch(batch: UsableBatch, session: SessionDep) -> BatchRead:
    await service.cancel_batch(session=session, batch=batch)
    return await service.read_batch(session=session, batch=batch)


@router.post("/batch-compares/{batch_id}/picks")
async def pick_batch_row(batch: UsableBatch, body: BatchPickIn, session: SessionDep, user: CurrentUser) -> FeedbackResult:
    """The better answer of one row: saved as preference rows (chosen over each other answer)."""
    return await service.pick_batch_row(session=session, storage=get_storage(), batch=batch, user=user, row=body.row,
                                        choice=body.choice)
