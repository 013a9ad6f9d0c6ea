"""Tables of the playground: chat turns answered by one or two model sides, the answers (generations),
the feedback users give on them, the team's feedback datasets, and batch comparisons.

A generation is made by the API (status `queued`) and run by a worker (`tuneforge.worker.playground`),
which streams its text into the row (`text`, `seq`) and announces each piece with NOTIFY (`stream.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, CreatedAt, UUIDPrimaryKey, utcnow


class GenerationStatus(StrEnum):
    queued = "queued"
    loading = "loading"  # the worker is loading the model (a cold cache)
    running = "running"  # tokens are streaming
    done = "done"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (GenerationStatus.done, GenerationStatus.failed, GenerationStatus.cancelled)


class FeedbackKind(StrEnum):
    preference = "preference"  # a pick between two answers: prompt, chosen, rejected (DPO, ORPO, SimPO, ...)
    rating = "rating"  # thumbs up/down on one answer: prompt, completion, label (KTO)
    edit = "edit"  # an answer the user corrected: the conversation with the edited answer (SFT)


class PlaygroundTurn(UUIDPrimaryKey, CreatedAt, Base):
    """One user message answered by one side, or by two side by side (optionally blind)."""

    __tablename__ = "playground_turn"
    __table_args__ = (Index("ix_playground_turn_team_id_created_at", "team_id", "created_at"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The conversation the sides answer: system message (if any) first, ending with the user's message.
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    # 'a', 'b' or 'tie' once the user picked; blind turns reveal their sides then.
    pick: Mapped[str | None] = mapped_column(String(8))
    picked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Generation(UUIDPrimaryKey, CreatedAt, Base):
    """One side's answer to a turn, streamed by a worker."""

    __tablename__ = "generation"
    __table_args__ = (UniqueConstraint("turn_id", "slot"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    turn_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("playground_turn.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)  # 0 = side A, 1 = side B
    # {"version_id": ..., "base": false, "label": "support-bot v3"}
    target: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[GenerationStatus] = mapped_column(
        Enum(GenerationStatus, name="generation_status", native_enum=False, length=16), default=GenerationStatus.queued
    )
    text: Mapped[str] = mapped_column(Text, default="")
    seq: Mapped[int] = mapped_column(Integer, default=0)  # the number of text pieces streamed so far
    finish_reason: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    # prompt_tokens, new_tokens, first_token_ms, tokens_per_s, load_ms, cold
    stats: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    rendered_prompt: Mapped[str | None] = mapped_column(Text)
    worker_name: Mapped[str | None] = mapped_column(String(200))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[str | None] = mapped_column(String(8))  # 'up' or 'down'
    edited_text: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class FeedbackDataset(Base):
    """The team's dataset for one kind of feedback; every save adds an immutable version to it."""

    __tablename__ = "feedback_dataset"

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[FeedbackKind] = mapped_column(
        Enum(FeedbackKind, name="feedback_kind", native_enum=False, length=16), primary_key=True
    )
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))


class Feedback(UUIDPrimaryKey, CreatedAt, Base):
    """One row of feedback data, in the canonical row shape of its kind's data kind."""

    __tablename__ = "playground_feedback"
    __table_args__ = (Index("ix_playground_feedback_team_id_kind_created_at", "team_id", "kind", "created_at"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    kind: Mapped[FeedbackKind] = mapped_column(Enum(FeedbackKind, name="feedback_kind", native_enum=False, length=16))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    row: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Where it came from: a playground turn (and answer), or a batch comparison's row.
    turn_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("playground_turn.id", ondelete="SET NULL"))
    generation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("generation.id", ondelete="SET NULL"))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("batch_compare.id", ondelete="SET NULL"))
    batch_row: Mapped[int | None] = mapped_column(Integer)
    # The dataset version the save made (it holds this row and every earlier one of the kind).
    dataset_version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="SET NULL"))


class BatchStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class BatchCompare(UUIDPrimaryKey, CreatedAt, Base):
    """A dataset version's prompts answered by two or more model versions, with task metrics."""

    __tablename__ = "batch_compare"
    __table_args__ = (Index("ix_batch_compare_team_id_created_at", "team_id", "created_at"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    dataset_version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="SET NULL"))
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    max_rows: Mapped[int] = mapped_column(Integer)
    status: Mapped[BatchStatus] = mapped_column(Enum(BatchStatus, name="batch_status", native_enum=False, length=16),
                                                default=BatchStatus.queued)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)  # answers finished, over all targets
    total_rows: Mapped[int] = mapped_column(Integer, default=0)  # rows x targets
    # [{"prompt": [...], "reference": "...", "answers": ["...", ...], "scores": [{...}, ...], "pick": 0 | None}]
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # one {"exact_match", "f1", "rouge1", "rouge2", "rougeL", "bleu"} per target
    metrics: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_name: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
