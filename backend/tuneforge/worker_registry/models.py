from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, CreatedAt, UUIDPrimaryKey


class Worker(UUIDPrimaryKey, CreatedAt, Base):
    """A `tuneforge worker` process as it last reported itself."""

    __tablename__ = "worker"

    name: Mapped[str] = mapped_column(String(200))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    executors: Mapped[list[str]] = mapped_column(JSONB, default=list)
    devices: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # training.capabilities() as computed on the worker; its "target" (spec.Target.as_dict) is what
    # the API validates this worker's jobs against and builds /api/info from. {} = reported nothing.
    capabilities: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    max_concurrent_jobs: Mapped[int] = mapped_column(Integer, default=1)
    version: Mapped[str] = mapped_column(String(40))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
