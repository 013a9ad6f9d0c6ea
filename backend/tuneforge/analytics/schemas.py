"""The team analytics dashboard's numbers (GET /api/teams/{team_id}/analytics)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

FAILURE_CAUSES = ("out_of_memory", "data", "configuration", "interrupted", "cancelled", "other")


class Counts(BaseModel):
    total: int = Field(description="all the team has now")
    created: int = Field(description="created in the period")


class Inventory(BaseModel):
    datasets: Counts
    dataset_versions: Counts
    models: Counts
    model_versions: Counts


class DayStatuses(BaseModel):
    day: date
    total: int
    by_status: dict[str, int] = Field(description="status -> jobs created that day (UTC); absent statuses are 0")


class ComputeRow(BaseModel):
    jobs: int
    gpu_hours: float = Field(description="billed cloud GPU time, else run time on a CUDA/MPS device")
    cpu_hours: float = Field(description="run time on CPU-only workers")


class MethodCompute(ComputeRow):
    method: str


class MemberCompute(ComputeRow):
    user_id: uuid.UUID | None = Field(description="null: jobs of accounts deleted since")
    name: str


class MonthCost(BaseModel):
    month: date = Field(description="first day of the month (UTC)")
    cost_usd: float
    budget_usd: float | None = Field(description="the team's monthly Modal budget; null when none is set")


class JobLink(BaseModel):
    id: uuid.UUID
    name: str


class FailureCause(BaseModel):
    cause: str = Field(description="out_of_memory | data | configuration | interrupted | cancelled | other")
    jobs: int
    examples: list[JobLink] = Field(description="the most recent jobs of this cause (up to 20), for links")


class MethodLoss(BaseModel):
    method: str
    jobs: int = Field(description="succeeded jobs that reported a final training loss")
    median_final_loss: float | None
    mean_final_loss: float | None
    median_eval_loss: float | None


class RecentJob(BaseModel):
    id: uuid.UUID
    name: str
    status: str
    method: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class TeamAnalytics(BaseModel):
    start: date = Field(alias="from", description="first day of the period (UTC), included")
    end: date = Field(alias="to", description="last day of the period (UTC), included")
    inventory: Inventory
    total_jobs: int
    by_status: dict[str, int]
    per_day: list[DayStatuses] = Field(description="every day of the period, oldest first")
    gpu_hours: float
    cpu_hours: float
    cost_usd: float
    compute_by_method: list[MethodCompute]
    compute_by_member: list[MemberCompute]
    modal_cost_by_month: list[MonthCost]
    modal_budget_usd: float | None
    success_rate: float | None = Field(description="succeeded / (succeeded + failed + cancelled); null before any ended")
    failure_causes: list[FailureCause] = Field(description="failed, interrupted and cancelled jobs by cause")
    median_queue_wait_s: float | None = Field(description="from creation to first start")
    median_run_time_s: float | None = Field(description="from first start to end, of jobs that ended")
    loss_by_method: list[MethodLoss]
    recent_jobs: list[RecentJob] = Field(description="the last 10 jobs created in the period, newest first")

    model_config = {"populate_by_name": True, "serialize_by_alias": True}
