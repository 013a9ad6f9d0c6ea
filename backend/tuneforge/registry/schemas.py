"""Request and response bodies of the model registry. `Lineage` is also the stored shape of `model_version.lineage`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TAG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"

UNKNOWN = "unknown"  # a lineage field that could not be recovered (versions backfilled by migration 0010)


class LaunchedBy(BaseModel):
    user_id: uuid.UUID | None = None
    name: str | None = None


class BaseModelLineage(BaseModel):
    """The model the job started from, as it was when the job finished."""

    reference: str = Field(description="as the job named it: a bundled name, a Hub id, a folder, storage:jobs/<id>/output, version:<id>")
    kind: Literal["bundled", "hub", "folder", "job_output", "model_version", "unknown"]
    version_id: uuid.UUID | None = Field(default=None, description="when it is a model version of this registry")
    job_id: uuid.UUID | None = Field(default=None, description="when it is a job's output")
    files_sha256: dict[str, str] | None = Field(
        default=None, description="sha256 of its config and weight files, by relative path; null: not recorded (Hub models, unknown)"
    )
    note: str | None = None


class DatasetLineage(BaseModel):
    dataset_id: uuid.UUID | None = None
    dataset_name: str | None = None
    version_id: uuid.UUID
    version_number: int | None = None
    weight: float = 1.0
    file: str | None = Field(default=None, description="the train file, storage:<key>")
    file_sha256: str | None = Field(default=None, description="sha256 of the train file when the job finished; null: unknown")


class Hardware(BaseModel):
    executor: str | None = None
    worker: str | None = None
    device_type: str | None = None
    device_name: str | None = None
    gpu_type: str | None = None


class VersionFile(BaseModel):
    path: str
    size_bytes: int
    sha256: str | None = Field(default=None, description="config and weight files: sha256 when the version was recorded")


class Lineage(BaseModel):
    """Everything a version came from, recorded when its job succeeded and never edited."""

    recorded: Literal["at_finish", "backfilled"] = "at_finish"
    unknown: list[str] = Field(default_factory=list, description="fields that could not be recovered (backfilled versions)")
    job_id: uuid.UUID | None = None
    job_name: str | None = None
    launched_by: LaunchedBy = Field(default_factory=LaunchedBy)
    base_model: BaseModelLineage
    datasets: list[DatasetLineage] = Field(default_factory=list)
    spec: dict[str, Any] | None = Field(default=None, description="the resolved spec as users see it (no server paths)")
    libraries: dict[str, str] = Field(default_factory=dict, description="torch, transformers, peft, trl versions of the run")
    hardware: Hardware = Field(default_factory=Hardware)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    gpu_hours: float | None = None
    cost_usd: float | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    evaluation: dict[str, Any] | None = Field(default=None, description="evaluation.json of the output, when the run wrote one")
    files: list[VersionFile] = Field(default_factory=list, description="adapter or full weights and the rest of the output, with sizes")


class KeyMetric(BaseModel):
    name: str
    value: float


class ModelVersionSummary(BaseModel):
    id: uuid.UUID
    model_id: uuid.UUID
    model_name: str
    number: int
    created_at: datetime
    archived: bool
    tags: list[str]
    job_id: uuid.UUID | None
    base_model: str
    key_metric: KeyMetric | None = None


class ModelVersionPage(BaseModel):
    items: list[ModelVersionSummary]
    total: int = Field(description="versions matching the filters, all pages together")


class UsedBy(BaseModel):
    job_id: uuid.UUID
    job_name: str
    status: str


class ModelVersionRead(ModelVersionSummary):
    notes: str
    lineage: Lineage
    files_missing: bool = Field(
        description="its output folder is gone, or a recorded file is missing or has changed size (the job was deleted, "
                    "storage lost it, a copy was cut short): it cannot be used and can only be deleted")
    used_by: list[UsedBy] = Field(description="jobs that start from this version: while any exists it cannot be deleted")
    reference: str = Field(description="how a job names it as its base model: version:<id>")


class ModelRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    created_at: datetime
    version_count: int
    latest: ModelVersionSummary | None
    tags: dict[str, int] = Field(description="tag -> version number")


class ModelDetail(ModelRead):
    versions: list[ModelVersionSummary]


class VersionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: str | None = Field(default=None, max_length=20_000)
    archived: bool | None = None


class CompareVersion(BaseModel):
    id: uuid.UUID
    model_name: str
    number: int
    job_id: uuid.UUID | None


class CompareRow(BaseModel):
    key: str
    values: list[Any] = Field(description="one per version, in the order asked; null where a version has none")
    differs: bool


class CurvePoint(BaseModel):
    step: int
    loss: float | None = None
    eval_loss: float | None = None


class LossCurve(BaseModel):
    version_id: uuid.UUID
    points: list[CurvePoint]


class CompareAnswers(BaseModel):
    prompt: str
    reference: str | None = None
    answers: list[str | None] = Field(description="the fine-tuned answer of each version, in the order asked")


class CompareRead(BaseModel):
    versions: list[CompareVersion]
    config: list[CompareRow]
    metrics: list[CompareRow]
    loss_curves: list[LossCurve]
    evaluation: list[CompareAnswers]
