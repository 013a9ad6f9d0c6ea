from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, UUIDPrimaryKey, utcnow


class Outcome(StrEnum):
    success = "success"
    failure = "failure"  # tried and failed (a wrong password)
    refused = "refused"  # not allowed (a quota, a missing role)


class Via(StrEnum):
    password = "password"
    token = "token"  # a personal API token
    sso = "sso"


class AuditEvent(UUIDPrimaryKey, Base):
    """One audited action. Written once, never changed: the trigger of migration 0015 refuses UPDATE and
    DELETE unless retention pruning says so. The actor's email and the target's label are copies taken at
    the time, so the row still reads right after a rename or a deletion."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_team_id_created_at", "team_id", "created_at"),
        Index("ix_audit_event_actor_user_id_created_at", "actor_user_id", "created_at"),
        Index("ix_audit_event_action", "action"),
        Index("ix_audit_event_created_at", "created_at"),
    )

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), default=utcnow)
    # No foreign key: a deleted team's events keep its id and are never rewritten (append-only means
    # no exception for ON DELETE SET NULL either).
    team_id: Mapped[uuid.UUID | None]
    # No foreign key: the id outlives the account, and actor_email says who it was.
    actor_user_id: Mapped[uuid.UUID | None]
    actor_email: Mapped[str | None] = mapped_column(String(320))
    via: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_label: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16), default=Outcome.success.value)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
