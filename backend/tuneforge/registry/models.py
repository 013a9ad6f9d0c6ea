"""Tables: models (a named lineage in a team), their numbered versions, and the tags that point at them.

A version is made once, when a job succeeds (worker.supervisor `_finish` → registry.service.record_version):
its `lineage` is written then and never edited. Notes, archiving and tags are the only things that change.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, CreatedAt, UUIDPrimaryKey, utcnow


class RegisteredModel(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "registered_model"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The last version number handed out (numbers are never reused, also after a deletion).
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ModelVersion(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("model_id", "number"), Index("ix_model_version_team_id_created_at", "team_id", "created_at"))

    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("registered_model.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # The job that made it; the job may be deleted later (then its files are gone: the version says so).
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), unique=True)
    # Where its files are in storage (`jobs/<job id>/output`).
    output_key: Mapped[str] = mapped_column(Text)
    # Recorded at creation, never edited: base model, data, spec, who, libraries, hardware, cost, metrics, files.
    lineage: Mapped[dict[str, Any]] = mapped_column(JSONB)
    notes: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ModelTag(Base):
    """A tag ("production", "candidate", ...) of a model: on one version at a time, moved by setting it again."""

    __tablename__ = "model_tag"

    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("registered_model.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
