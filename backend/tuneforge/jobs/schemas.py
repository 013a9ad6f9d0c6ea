from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tuneforge.jobs.models import Executor, JobStatus
from tuneforge.training.catalogue import DEFAULT_BASE_MODEL

# Parts of a training spec a user sets; paths (data files, output, caches) are TuneForge's to fill.
PLATFORM_OWNED_KEYS = ("output_dir", "model_cache_dir", "resume_from_checkpoint", "debug")


class MixtureSource(BaseModel):
    dataset_version_id: uuid.UUID
    weight: float = Field(gt=0, le=1000)


class JobConfig(BaseModel):
    """What the wizard produces: the training spec without machine paths, plus the data to use."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    method: str = "sft"
    adapter: str = "lora"
    provider: str = "auto"
    base_model: str = Field(default=DEFAULT_BASE_MODEL, min_length=1, max_length=500)
    dataset_version_id: uuid.UUID
    weight: float = Field(default=1.0, gt=0, le=1000)
    mixture: list[MixtureSource] = Field(default_factory=list, max_length=8)
    preset: Literal["quick", "balanced", "quality"] | None = None
    data: dict[str, Any] = Field(default_factory=dict, description="max_length, packing, loss_on, chat_template, validation_split")
    lora: dict[str, Any] = Field(default_factory=dict)
    qlora: dict[str, Any] = Field(default_factory=dict)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    method_options: dict[str, Any] = Field(default_factory=dict)
    grpo: dict[str, Any] = Field(default_factory=dict)
    eval: dict[str, Any] = Field(default_factory=dict)
    seed: int = 42
    auto_oom_retry: bool = True
    merge_adapter: bool = False
    # Test hook (slows each step); never shown in the UI.
    debug: dict[str, Any] = Field(default_factory=dict)

    @field_validator("data")
    @classmethod
    def _no_paths(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in ("sources", "path", "files", "validation_path"):
            if key in value:
                raise ValueError(f"data.{key} is chosen by TuneForge from the dataset version; remove it")
        return value


class JobCreate(JobConfig):
    executor: Executor = Executor.local
    gpu_type: str | None = Field(default=None, description="Modal GPU type, e.g. T4, L4, A10G, A100-80GB, H100")
    auto_resume: bool = True
    timeout_minutes: int = Field(default=24 * 60, ge=1, le=7 * 24 * 60)


class EstimateRequest(JobCreate):
    pass


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team_id: uuid.UUID
    created_by: uuid.UUID | None
    created_by_name: str | None = None
    name: str
    status: JobStatus
    method: str
    adapter: str
    base_model: str
    dataset_version_id: uuid.UUID | None
    config: dict[str, Any]
    resolved_spec: dict[str, Any] | None
    estimate: dict[str, Any]
    executor: Executor
    gpu_type: str | None
    auto_resume: bool
    timeout_minutes: int
    cloned_from_id: uuid.UUID | None
    attempt: int
    worker_name: str | None
    last_seq: int
    step: int
    total_steps: int | None
    latest_metrics: dict[str, Any]
    last_checkpoint: str | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    stderr_tail: str | None
    error_kind: str | None
    message: str | None
    hint: str | None
    result: dict[str, Any]
    gpu_seconds: float | None
    cost_usd: float | None
    created_at: datetime
    updated_at: datetime


class JobPage(BaseModel):
    items: list[JobRead]
    total: int


class JobEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    type: str
    attempt: int
    data: dict[str, Any]
    created_at: datetime


class EstimateRead(BaseModel):
    target: str
    estimate: dict[str, Any]
    warnings: list[str]


class TemplateCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    config: dict[str, Any]


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    description: str
    config: dict[str, Any]
    created_at: datetime


class ArtifactRead(BaseModel):
    path: str
    size_bytes: int


class ModelFolder(BaseModel):
    name: str
    path: str
