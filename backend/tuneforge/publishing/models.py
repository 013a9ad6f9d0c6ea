"""Table of publications: a model version published to the Hugging Face Hub, to an Ollama server, or as
GGUF files — each run as a worker task (`tuneforge.worker.publisher`) with its progress, result and
verification kept here as the version's publishing history."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, CreatedAt, UUIDPrimaryKey, utcnow


class PublicationTarget(StrEnum):
    hub = "hub"
    ollama = "ollama"
    gguf = "gguf"


class PublicationStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (PublicationStatus.succeeded, PublicationStatus.failed, PublicationStatus.cancelled)


class Publication(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "publication"
    __table_args__ = (Index("ix_publication_version_id_created_at", "version_id", "created_at"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    target: Mapped[PublicationTarget] = mapped_column(Enum(PublicationTarget, name="publication_target", native_enum=False, length=16))
    # What was asked: hub {repo_id, private, weights}; ollama {url, name, quant_type, system}; gguf {quant_types}
    options: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[PublicationStatus] = mapped_column(
        Enum(PublicationStatus, name="publication_status", native_enum=False, length=16), default=PublicationStatus.queued
    )
    # {"phase": "converting", "message": "...", "done": 1, "total": 3}
    progress: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # What came of it: files (GGUF: storage key, size, sha256), link or name, merge check, verification
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # Whose credential it used ("yours", later "team") — never the secret itself
    credential: Mapped[str | None] = mapped_column(String(32))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_name: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
