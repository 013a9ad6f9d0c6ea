"""Tables: training jobs, their ordered events, and saved job templates."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Computed, DateTime, Enum, Float, ForeignKey, Identity, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tuneforge.db import Base, CreatedAt, UUIDPrimaryKey, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    cancelling = "cancelling"  # a stop was requested; the run is saving a checkpoint
    interrupted = "interrupted"  # its worker went away; waits to be resumed from the last checkpoint
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)

    @property
    def active(self) -> bool:
        return self in (JobStatus.queued, JobStatus.running, JobStatus.cancelling, JobStatus.interrupted)


class Executor(StrEnum):
    local = "local"
    modal = "modal"


class Job(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "job"
    __table_args__ = (
        # 0019: the analytics read a period from this index alone (index-only scan); the jobs list pages by it.
        Index("ix_job_team_id_created_at_covering", "team_id", "created_at", postgresql_include=[
            "id", "name", "status", "method", "created_by", "started_at", "finished_at", "executor", "cost_usd",
            "error_kind", "gpu_seconds", "needs_cuda", "device_type", "compute_end_at", "final_loss", "eval_loss",
        ]),
        Index("ix_job_team_id_status_created_at", "team_id", "status", "created_at"),  # 0018: filtered lists
    )

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[JobStatus] = mapped_column(Enum(JobStatus, name="job_status", native_enum=False, length=16))
    method: Mapped[str] = mapped_column(String(16))
    adapter: Mapped[str] = mapped_column(String(16))
    base_model: Mapped[str] = mapped_column(Text)
    dataset_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dataset_version.id", ondelete="RESTRICT"), index=True
    )
    # The spec as the user configured it (no machine paths) and as it last ran (resolved paths).
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    resolved_spec: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    estimate: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    executor: Mapped[Executor] = mapped_column(Enum(Executor, name="job_executor", native_enum=False, length=16))
    gpu_type: Mapped[str | None] = mapped_column(String(32))
    needs_cuda: Mapped[bool] = mapped_column(default=False)
    auto_resume: Mapped[bool] = mapped_column(default=True)
    timeout_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    cloned_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    # Modal jobs: whose Modal token pays — whoever last launched, retried or resumed it (jobs/billing.py).
    billed_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Which model its version joins when it succeeds (registry): {"model_id": ...} or {"model_name": ...}; null: named after the job.
    register_as: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Whose token each outside service got: {"modal": "user"|"team", "huggingface": ...} (credentials.CredentialSource).
    credential_sources: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict, server_default="{}")
    # Bytes its output folder holds once it stopped (quotas' storage meter); null until then.
    output_bytes: Mapped[int | None] = mapped_column(BigInteger)

    queue_job_id: Mapped[int | None] = mapped_column(BigInteger)  # procrastinate's job id
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    worker_name: Mapped[str | None] = mapped_column(String(200))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)
    total_steps: Mapped[int | None] = mapped_column(Integer)
    latest_metrics: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    last_checkpoint: Mapped[str | None] = mapped_column(Text)
    # The device type its trainer last reported in a "started" event (cpu, cuda, mps): compute hours (0018).
    device_type: Mapped[str | None] = mapped_column(String(16))

    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    exit_code: Mapped[int | None] = mapped_column(Integer)
    stderr_tail: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(Text)
    output_key: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    gpu_seconds: Mapped[float | None] = mapped_column(Float)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # Generated by PostgreSQL (0019) for the analytics' covering index; they change only when the job stops.
    # A succeeded job's final loss (result.metrics.final_loss, else its last reported loss) and eval loss.
    final_loss: Mapped[float | None] = mapped_column(Float, Computed(
        "CASE WHEN status = 'succeeded' THEN coalesce("
        "CASE WHEN jsonb_typeof(result -> 'metrics' -> 'final_loss') = 'number' THEN (result -> 'metrics' ->> 'final_loss')::float8 END, "
        "CASE WHEN jsonb_typeof(latest_metrics -> 'loss') = 'number' THEN (latest_metrics ->> 'loss')::float8 END) END",
        persisted=True), deferred=True)
    eval_loss: Mapped[float | None] = mapped_column(Float, Computed(
        "CASE WHEN status = 'succeeded' AND jsonb_typeof(result -> 'metrics' -> 'eval_loss') = 'number' "
        "THEN (result -> 'metrics' ->> 'eval_loss')::float8 END", persisted=True), deferred=True)
    # Where its compute time ends (jobs.service.compute_seconds): finished_at; null while running or
    # cancelling (then: now); else its last update.
    compute_end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), Computed(
        "CASE WHEN finished_at IS NOT NULL THEN finished_at WHEN status IN ('running', 'cancelling') THEN NULL "
        "ELSE coalesce(updated_at, started_at) END", persisted=True), deferred=True)


class JobEvent(Base):
    """One event of a job, in order: `seq` is per job, gapless and never reused (across attempts)."""

    __tablename__ = "job_event"
    __table_args__ = (UniqueConstraint("job_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobTemplate(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "job_template"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
