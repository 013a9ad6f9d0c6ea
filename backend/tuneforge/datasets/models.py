"""Tables: a dataset, its immutable versions, and the issues found in each version."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, CreatedAt, UUIDPrimaryKey, utcnow


class VersionStatus(StrEnum):
    usable = "usable"  # no errors: can be trained on
    has_errors = "has_errors"  # kept (nothing is lost) but refused for training until fixed


class Operation(StrEnum):
    upload = "upload"
    drop_invalid = "drop_invalid"
    mapping = "mapping"
    split = "split"
    fill = "fill"  # template placeholders ({{name}}) filled in (migration 0009)
    feedback = "feedback"  # playground feedback saved as a new version (migration 0011)


class Dataset(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "dataset"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class DatasetVersion(UUIDPrimaryKey, CreatedAt, Base):
    """Immutable once written. `files` maps split name ("rows", or "train"/"validation"/"test") to a
    storage key of canonical JSONL; `sources` are the uploaded files it was read from (raw preview,
    mapping changes)."""

    __tablename__ = "dataset_version"
    __table_args__ = (
        UniqueConstraint("dataset_id", "number"),
        Index("ix_dataset_version_dataset_id_sha256", "dataset_id", "sha256"),
    )

    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="SET NULL"))
    operation: Mapped[Operation] = mapped_column(Enum(Operation, name="dataset_operation", native_enum=False, length=16))
    notes: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str | None] = mapped_column(String(32))  # a training DataKind ("chat", ...); null: not recognised
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    detection: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    issues_summary: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    split: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    files: Mapped[dict[str, str]] = mapped_column(JSONB)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[VersionStatus] = mapped_column(Enum(VersionStatus, name="dataset_version_status", native_enum=False, length=16))


class DatasetIssue(UUIDPrimaryKey, Base):
    """One reported problem. At most 1,000 per code are stored; `issues_summary` has the full counts."""

    __tablename__ = "dataset_issue"
    __table_args__ = (Index("ix_dataset_issue_version_id_seq", "version_id", "seq"),)

    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dataset_version.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    row: Mapped[int | None] = mapped_column(Integer)
    file: Mapped[str | None] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(100))
