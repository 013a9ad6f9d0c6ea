"""Response models of the system routes: /health, /info (whose top level, with the data kinds, is in the router)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tuneforge.training.data_kinds import DataKind


class Health(BaseModel):
    """Public (load balancers, probes): nothing but whether the API and its database answer."""

    status: str = Field(description="ok, or degraded (503) when the database does not answer")
    version: str


class DeviceInfo(BaseModel):
    """A device a worker reported (training.hardware.detect_devices). Workers may report more keys; they are kept."""

    model_config = ConfigDict(extra="allow")

    type: str | None = Field(default=None, description="cuda, mps or cpu")
    name: str | None = None
    index: int | None = None
    total_memory_bytes: int | None = None
    free_memory_bytes: int | None = None
    cores: int | None = None
    compute_capability: str | None = None
    multiprocessors: int | None = None
    bf16: bool | None = None
    fp16: bool | None = None
    can_train: bool | None = None
    speed: dict[str, float] | None = Field(default=None, description="measured CPU speed (matmul_flops, dispatch_seconds)")


class WorkerInfo(BaseModel):
    name: str
    hostname: str
    executors: list[str]
    devices: list[DeviceInfo]
    max_devices: int = Field(
        description="devices one job may train on here (torchrun, one process each): its CUDA GPUs, 1 for MPS, "
        "TUNEFORGE_WORKER_CPU_PROCESSES on a CPU-only worker; 1 for workers that did not report it"
    )
    max_concurrent_jobs: int
    version: str
    last_seen_at: datetime


# Hyperparameters a preset sets (max_steps, epochs, batch_size, scheduler, warmup_ratio, ...).
PresetValues = dict[str, int | float | str | bool]


# Availability (methods, adapters, providers, base models) is what the live workers reported they can
# train (and the Modal image when a worker dispatches to Modal), never the API host's; `reason` says why
# not, or is a note on an available entry (e.g. no worker online: the job waits in the queue).


class MethodInfo(BaseModel):
    name: str
    title: str = Field(description="as the wizard names it")
    description: str
    help: str = Field(description="one plain sentence: when to use it")
    data_kinds: list[DataKind]
    adapters: list[str]
    available: bool
    reason: str
    presets: dict[str, PresetValues] = Field(description="this method's hyperparameters for each preset")


class AdapterInfo(BaseModel):
    name: str
    available: bool
    reason: str


class ProviderInfo(BaseModel):
    name: str
    available: bool
    reason: str | None = None
    methods: list[str] | None = Field(default=None, description="the methods this provider supports, if not all")
    resolves_to: str | None = Field(
        default=None, description="auto only: the provider it picks on the online workers ('hf', 'unsloth' or 'hf or unsloth')"
    )


class ExecutorInfo(BaseModel):
    name: str
    description: str


class BaseModelInfo(BaseModel):
    name: str
    available: bool
    description: str


class DataKindInfo(BaseModel):
    """A shape of canonical rows. Datasets report these names as a version's `kind`; methods list
    the ones they train on (`methods[].data_kinds`)."""

    name: DataKind
    description: str = Field(description="the label to show, e.g. 'chat conversations'")


class Info(BaseModel):
    version: str
    methods: list[MethodInfo]
    data_kinds: list[DataKindInfo]
    adapters: list[AdapterInfo]
    providers: list[ProviderInfo]
    executors: list[ExecutorInfo]
    base_models: list[BaseModelInfo]
    presets: dict[str, PresetValues]
    workers: list[WorkerInfo]
