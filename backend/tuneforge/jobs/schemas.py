from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tuneforge.jobs.models import Executor, JobStatus
from tuneforge.training.catalogue import DEFAULT_BASE_MODEL
from tuneforge.training.config_import import DatasetHint, UnmappedOption
from tuneforge.training.spec import DataOptions, TrainingConfig

# Parts of a training spec that are TuneForge's to fill: machine paths. (`debug`, the test hooks,
# is a user setting, accepted only when the server runs in test mode: see jobs.service.)
PLATFORM_OWNED_KEYS = ("output_dir", "model_cache_dir", "resume_from_checkpoint")
PLATFORM_OWNED_DATA_KEYS = ("sources", "path", "files", "datasets", "validation_path")


class MixtureSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_version_id: uuid.UUID
    weight: float = Field(gt=0, le=1000)


def _refuse_platform_keys(value: Any, keys: tuple[str, ...], prefix: str) -> Any:
    """Paths are TuneForge's to fill (from storage and the dataset version): a body naming one is refused."""
    if isinstance(value, dict):
        for key in keys:
            if key in value:
                raise ValueError(f"{prefix}{key} is chosen by TuneForge; remove it")
    return value


class JobConfig(TrainingConfig):
    """A job's configuration: the training library's TrainingConfig (every choice, no machine paths),
    the data options, and which dataset versions to train on. `job.config` stores exactly
    `model_dump(mode="json")` of this; `jobs.resolve.resolve_training_spec` turns it into a spec."""

    name: str | None = Field(default=None, max_length=200)
    base_model: str = Field(default=DEFAULT_BASE_MODEL, min_length=1, max_length=500)
    dataset_version_id: uuid.UUID
    weight: float = Field(default=1.0, gt=0, le=1000, description="The main version's share in a mixture.")
    mixture: list[MixtureSource] = Field(default_factory=list, max_length=8)
    data: DataOptions = Field(default_factory=DataOptions)
    auto_oom_retry: bool = True

    @model_validator(mode="before")
    @classmethod
    def _no_paths(cls, value: Any) -> Any:
        return _refuse_platform_keys(value, PLATFORM_OWNED_KEYS, "")

    @field_validator("data", mode="before")
    @classmethod
    def _no_data_paths(cls, value: Any) -> Any:
        return _refuse_platform_keys(value, PLATFORM_OWNED_DATA_KEYS, "data.")

    def version_ids(self) -> list[uuid.UUID]:
        """The dataset versions this job trains on: the main one first, then the mixture's."""
        return [self.dataset_version_id, *(part.dataset_version_id for part in self.mixture)]


class RegisterAs(BaseModel):
    """Which model the job's version joins when it succeeds (the registry): an existing model of the team, or a
    model of this name (made when missing). Without it, the model is named after the job."""

    model_config = ConfigDict(extra="forbid")

    model_id: uuid.UUID | None = None
    model_name: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one(self) -> RegisterAs:
        if (self.model_id is None) == (self.model_name is None):
            raise ValueError("give register_as either model_id (a new version of that model) or model_name (a new model)")
        return self


class JobCreate(JobConfig):
    """A launch: the job's configuration plus where and how it runs."""

    executor: Executor = Executor.local
    register_as: RegisterAs | None = None
    gpu_type: str | None = Field(default=None, description="Modal GPU type, e.g. T4, L4, A10G, A100-80GB, H100")
    auto_resume: bool = True
    timeout_minutes: int = Field(default=24 * 60, ge=1, le=7 * 24 * 60)

    def job_config(self) -> JobConfig:
        """The part that is stored as `job.config`."""
        return JobConfig.model_validate(self.model_dump(include=set(JobConfig.model_fields)))


class EstimateRequest(JobCreate):
    pass


class BilledTo(BaseModel):
    """Whose Modal token pays for a Modal job's runs: a name and a token hint, never the secret."""

    user_id: uuid.UUID
    name: str
    token_hint: str | None = Field(description="e.g. 'ak-…abcd'; null when they have no Modal token saved now")


class PhaseSeconds(BaseModel):
    name: str
    seconds: float


class JobTiming(BaseModel):
    """Estimate against actual for one run (jobs/accuracy.py): recorded by the worker when the job ends."""

    actual_seconds: float = Field(description="wall time of the attempt, start to exit, as the worker saw it")
    actual_phases: list[PhaseSeconds]
    executor: str
    device_type: str | None = None
    device_name: str | None = None
    gpu_type: str | None = None
    worker: str | None = None
    attempt: int | None = None
    resumed: bool = False
    steps: int | None = None
    estimated_seconds: float | None = None
    estimated_low: float | None = None
    estimated_high: float | None = None
    estimated_phases: list[PhaseSeconds] | None = None
    estimate_source: str | None = Field(default=None, description="launch (what the wizard showed) or trainer")
    ratio: float | None = Field(default=None, description="actual / estimated")


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
    config: JobConfig
    resolved_spec: dict[str, Any] | None
    estimate: dict[str, Any]
    executor: Executor
    gpu_type: str | None
    auto_resume: bool
    timeout_minutes: int
    cloned_from_id: uuid.UUID | None
    billed_user_id: uuid.UUID | None = None
    # Modal jobs: who last launched, retried or resumed it, and so whose Modal token runs it (also on an
    # automatic resume).
    billed_to: BilledTo | None = None
    # Whose token each outside service got: {"modal": "user"|"team", "huggingface": "user"|"team"}.
    credential_sources: dict[str, Literal["user", "team"]] = Field(default_factory=dict)
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
    timing: JobTiming | None = Field(
        default=None, description="the last attempt's wall time and phases next to its estimate (result.timing)"
    )

    @model_validator(mode="after")
    def _timing_from_result(self) -> JobRead:
        if self.timing is None and isinstance((self.result or {}).get("timing"), dict):
            try:
                self.timing = JobTiming.model_validate(self.result["timing"])
            except ValueError:  # a record of another shape: the raw result still has it
                pass
        return self


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


class EstimateDevice(BaseModel):
    """The device an estimate was made for, as the training library saw it."""

    type: str | None = None
    name: str | None = None
    total_memory_bytes: int | None = None
    free_memory_bytes: int | None = None


class MemoryBreakdown(BaseModel):
    weights: int
    trainable_states: int
    activations: int
    logits: int
    framework: int
    distributed_buffers: int = Field(
        0, description="several devices: DDP's gradient buckets, or the layer FSDP gathers whole at a time"
    )


class EstimateSuggestion(BaseModel):
    """One change that makes the job fit, or fit with room to spare."""

    action: str = Field(description="use_lora, enable_qlora, gradient_checkpointing, halve_batch or bigger_gpu")
    message: str
    gpu: str | None = Field(default=None, description="bigger_gpu only: the Modal GPU type that fits")
    peak_memory_bytes: int
    seconds_per_step: float
    fits: bool


class EstimatePhase(BaseModel):
    """One phase of a run and its seconds: startup, loading_model, tokenizing, training, saving, evaluating."""

    name: str
    label: str | None = None
    seconds: float


class EstimateRange(BaseModel):
    """The factors the range is the estimate times (measured spread of the calibration runs)."""

    low: float
    high: float


class TargetEstimate(BaseModel):
    """Memory fit, time and cost of the job on one place it could run (a live worker's device or a Modal
    GPU type). Absent fields: not known for this target; `error` instead of the numbers when it failed."""

    executor: Executor
    worker: str | None = Field(default=None, description="local targets: the worker's name")
    gpu_type: str | None = Field(default=None, description="Modal targets: the GPU type")
    device_name: str | None = None
    device_type: str | None = None
    error: str | None = None
    devices: int | None = Field(default=None, description="devices the job trains on (processes under torchrun)")
    strategy: Literal["single", "ddp", "fsdp"] | None = Field(
        default=None, description="how they share it: one device; a whole copy each (DDP); weights and states sharded (FSDP)"
    )
    device: EstimateDevice | None = None
    precision: str | None = None
    parameters: int | None = None
    trainable_parameters: int | None = None
    memory_breakdown_bytes: MemoryBreakdown | None = None
    training_memory_bytes: int | None = None
    peak_memory_bytes: int | None = None
    peak_memory_gib: float | None = None
    available_memory_bytes: int | None = None
    fits: bool | None = None
    seconds_per_step: float | None = None
    global_batch: int | None = Field(default=None, description="rows per optimizer step: batch_size x gradient_accumulation x devices")
    tokens_per_step: int | None = None
    total_steps: int | None = None
    total_seconds: float | None = None
    startup_seconds: float | None = Field(default=None, description="starting the trainer (and, on Modal, a container)")
    wall_seconds: float | None = Field(
        default=None, description="every phase: start-up, loading, tokenising, steps, saving, evaluation; what the user waits"
    )
    wall_seconds_low: float | None = Field(default=None, description="the low end of the range around wall_seconds")
    wall_seconds_high: float | None = Field(default=None, description="the high end of the range around wall_seconds")
    range_factors: EstimateRange | None = None
    phases: list[EstimatePhase] | None = Field(default=None, description="wall_seconds, phase by phase (they sum to it)")
    cost_usd: float | None = None
    cost_usd_low: float | None = Field(default=None, description="Modal: the cost of wall_seconds_low")
    cost_usd_high: float | None = Field(default=None, description="Modal: the cost of wall_seconds_high")
    suggestions: list[EstimateSuggestion] | None = None
    message: str | None = Field(default=None, description="why it does not fit")


class LaunchFacts(BaseModel):
    """What checking the settings learned: the provider `auto` resolves to, the data's kind."""

    provider: str
    data_kind: str | None = None


class TargetEstimates(BaseModel):
    chosen: TargetEstimate | None = Field(description="where the job would run as configured; null if nowhere yet")
    targets: list[TargetEstimate]
    price_table_date: str
    warnings: list[str] | None = None


class EstimateRead(TargetEstimates):
    """POST /teams/{id}/jobs/estimate: the settings checked like a launch, estimated on every target."""

    facts: LaunchFacts
    spec_yaml: str = Field(description="the spec, runnable with `tuneforge train`")


class AccuracyGroup(BaseModel):
    executor: str
    device_type: str
    jobs: int
    median_ratio: float | None
    low_ratio: float | None
    high_ratio: float | None


class EstimateAccuracy(BaseModel):
    """How close estimates were to what the team's last succeeded jobs took: actual / estimated wall
    time, the median and the lowest and highest, overall and per executor and device type."""

    limit: int
    jobs: int = Field(description="jobs counted (succeeded, estimated, not resumed), at most `limit`")
    median_ratio: float | None
    low_ratio: float | None
    high_ratio: float | None
    within_range: int = Field(description="of those, how many took a time inside their estimate's range")
    groups: list[AccuracyGroup]


class GpuRead(BaseModel):
    name: str
    memory_gib: float
    bf16: bool
    usd_per_hour: float


class GpuCatalogue(BaseModel):
    price_table_date: str
    gpus: list[GpuRead]


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


class ConfigImportRequest(BaseModel):
    """POST /config-imports: a LLaMA-Factory or Axolotl training YAML, and LLaMA-Factory's dataset_info.json."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=200_000, description="the training YAML, as written")
    dataset_info: str | None = Field(
        default=None, max_length=400_000, description="LLaMA-Factory's data/dataset_info.json (optional): names the datasets' files and columns"
    )


class ImportedJobConfig(JobCreate):
    """An imported configuration: JobCreate with every mapped option set and TuneForge's defaults for the
    rest, and no dataset yet (the user picks it in the wizard)."""

    dataset_version_id: uuid.UUID | None = None  # type: ignore[assignment]


class ConfigImportRead(BaseModel):
    """What an imported config became (training.config_import.ImportResult, its config validated)."""

    source: Literal["llamafactory", "axolotl"]
    config: ImportedJobConfig
    mapped: dict[str, Any] = Field(description="only the options the import set, in the config's shape")
    unmapped: list[UnmappedOption] = Field(description="every option of the file that was not mapped, with why")
    dataset_hint: list[DatasetHint] = Field(description="the datasets it names: what to upload and how its columns map")
