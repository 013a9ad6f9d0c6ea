from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

QuotaName = Literal["max_concurrent_jobs", "gpu_hours_per_month", "modal_usd_per_month", "storage_bytes"]


class QuotaMeter(BaseModel):
    name: QuotaName
    title: str
    unit: str = Field(description='"jobs", "GPU-hours", "USD" or "bytes"')
    limit: float | None = Field(description="null: unlimited")
    used: float
    percent: float | None = Field(description="used / limit × 100; null when unlimited")


class Raiser(BaseModel):
    name: str
    email: str
    role: str


class QuotasRead(BaseModel):
    meters: list[QuotaMeter]
    period_start: datetime = Field(description="start of this calendar month (UTC): the monthly meters count from here")
    who_can_raise: list[Raiser] = Field(description="the team's admins and owners")
    can_edit: bool
    updated_at: datetime | None = None
    updated_by_name: str | None = None


class QuotasUpdate(BaseModel):
    """Every limit; null (or absent) means unlimited."""

    max_concurrent_jobs: int | None = Field(default=None, ge=0, le=10_000)
    gpu_hours_per_month: float | None = Field(default=None, ge=0, le=10_000_000)
    modal_usd_per_month: float | None = Field(default=None, ge=0, le=10_000_000)
    storage_bytes: int | None = Field(default=None, ge=0, le=1 << 60)
