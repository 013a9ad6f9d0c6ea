from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, utcnow


class TeamQuota(Base):
    """A team's limits; null means unlimited. The row is also the lock that serialises launches and
    uploads against the limits (SELECT … FOR UPDATE), so it exists for every team that has been checked."""

    __tablename__ = "team_quota"

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    max_concurrent_jobs: Mapped[int | None] = mapped_column(Integer)
    gpu_hours_per_month: Mapped[float | None] = mapped_column(Float)
    modal_usd_per_month: Mapped[float | None] = mapped_column(Float)
    storage_bytes: Mapped[int | None] = mapped_column(BigInteger)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
