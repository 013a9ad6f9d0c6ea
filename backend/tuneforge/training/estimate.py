"""Will this run fit, and how long will it take? Answered from config.json, before any weights load.

`estimate(spec, device)` returns peak memory (with a breakdown), seconds per optimizer step,
total time, an approximate cloud cost, `fits`, and suggestions when it does not fit (or when a
cheap change would help); and the wall time of the whole run phase by phase (`phases`: start-up,
loading the model, tokenising, the steps, saving, evaluating; `wall_seconds` and its range
`wall_seconds_low`/`_high`), see "phases" below. Pure arithmetic, no torch import, so the web API
can call it. A spec with `devices: N > 1` is estimated as N processes under torchrun, see "several
devices" below: the result says `devices` and `strategy` (single, ddp or fsdp).

The memory model counts what a transformers `Trainer` step holds at its peak (the start of the
backward pass): weights; trainable parameters with their gradients and AdamW states; the
tensors autograd saved in the forward pass (per token and layer, from the hidden and MLP
sizes); the logits and the cross-entropy's copies of them; and a fixed framework overhead.
The time model is FLOPs (2 per parameter per token forward, 2 more for input gradients, 2 more
for weight gradients of trained weights, another forward with gradient checkpointing) over an
effective throughput per device, plus a per-step fixed cost per layer (Python and kernel
dispatch) that dominates tiny models.

The coefficients marked "calibrated" were fitted to runs measured on the 2-core x86 CPU of the
development machine with tiny-llama and SmolLM2-135M-Instruct. Another CPU is described by the
`speed` a worker measures at start-up (hardware.measure_cpu_speed): compute scales with its matmul
FLOP/s and the fixed costs with its dispatch time, each against what that machine measured
(REFERENCE_CPU_SPEED). bench/estimate_accuracy.py checks the result against real runs (±30%);
tests/training/test_estimate.py checks memory within ±30% and time within a factor of two. GPU throughputs are peak dense bf16/fp16 tensor FLOP/s times a
typical utilisation for small-batch fine-tuning; they have not been measured here.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tuneforge.training.catalogue import DEFAULT_BASE_MODEL, GPU_TYPES, SMOLLM2, TINY_LLAMA, GiB, match_gpu
from tuneforge.training.chunked_loss import chunk_positions
from tuneforge.training.distributed import choose_strategy

# -- devices -------------------------------------------------------------------------------------

# Fraction of peak a LoRA fine-tuning step reaches on a GPU (small batches, many small kernels).
GPU_UTILISATION = 0.35
GPU_FP32_FRACTION = 0.12  # fp32 without tensor cores runs at roughly this share of half precision

# calibrated: effective fp32 training FLOP/s of one core of this CPU (SmolLM2 LoRA steps, one
# thread: 3.48 CPU-s for 148 GFLOP after overheads), and the fixed costs per optimizer step and per
# decoder layer per micro-batch (Python, autograd and dispatch of ~40 small ops per LoRA layer;
# tiny-llama's 0.051 CPU-s steps are almost only this).
# Re-centred 2026-11-22 between idle and busy-machine measurements (idle runs are ~25% faster):
# SmolLM2 2.59 CPU-s/step idle, ~3.1 busy; tiny-llama with dropout 0.036 idle, ~0.054 busy.
CPU_FLOPS_PER_CORE = 55e9
# What hardware.measure_cpu_speed answers on that machine, for the constants above: matmul 76-95
# GFLOP/s, dispatch 130-236 µs (it shares its cores). The fixed costs were centred on a busier
# machine than an idle one, so the reference dispatch is a busy 165 µs: with the best of the
# measurements before and after a run, calibrated estimates of idle runs land at 0.9-1.1 of
# measured (bench/README.md). A worker's own measurement is divided by this.
REFERENCE_CPU_SPEED = {"matmul_flops": 86e9, "dispatch_seconds": 165e-6}
CPU_STEP_OVERHEAD_S = 0.013
CPU_LAYER_OVERHEAD_S = 0.0105
# calibrated: the share of that for LoRA dropout (tiny-llama, one thread: 0.046-0.062 CPU-s/step
# with dropout, 0.030-0.041 without, depending on how busy the machine's other core was).
CPU_LORA_DROPOUT_LAYER_S = 0.004
# Matmuls spread over cores; the Python/dispatch part does not. Not measured here (the shared
# 2-core machine never had an idle second core while this was written): a common 0.9 per core.
CPU_PARALLEL_EFFICIENCY = 0.9
GPU_STEP_OVERHEAD_S = 0.02
GPU_LAYER_OVERHEAD_S = 0.002

# -- several devices -------------------------------------------------------------------------------
#
# A job on N devices is N processes under torchrun (training/distributed.py), each on micro-batches of
# `batch_size` rows: an optimizer step takes N times the rows, so a run over the same data has N times
# fewer steps, each as long as one device's step plus the gradients' all-reduce. That communication is
# the share of the N-fold speed-up lost, per strategy: DDP all-reduces the gradients once per step
# (NCCL on CUDA, gloo on CPU), FSDP also gathers every layer's weights in the forward and backward
# passes. Not measured here (no multi-GPU machine): 0.9 is the usual figure for DDP on one host's
# NVLink/PCIe, 0.8 for FSDP. On a CPU the N processes share the machine's cores (each gets cores / N
# threads), so N processes compute about as fast as one: only the per-step Python and dispatch work,
# which one process cannot spread over cores, runs N-fold in parallel.
SCALING_EFFICIENCY = {"single": 1.0, "ddp": 0.9, "fsdp": 0.8}
# torchrun's own start before the ranks run the entry: its agent, N interpreters at once and the
# process group's rendezvous. Not measured here; typical.
TORCHRUN_START_S = 3.0

# calibrated: resident memory a training run adds beyond its tensors (trainer, tokenizer, data,
# allocator slack) on CPU (tiny-llama's run is almost only this); on CUDA the context and the
# caching allocator's reserve.
CPU_FRAMEWORK_BYTES = 125 * 2**20
CUDA_CONTEXT_BYTES = 600 * 2**20
# The process before it loads anything (Python + torch + transformers imported).
CPU_RUNTIME_BYTES = 500 * 2**20

# Memory per token per decoder layer at the peak, in activation elements:
# a_h * hidden + a_i * intermediate. Counting autograd's saved tensors in a SmolLM2 LoRA forward
# gives ~16.5h + 5.5i (LoRA dropout copies each adapted input, which full fine-tuning does not);
# resident memory grows ~1.3x that (backward transients, allocator slack): calibrated on SmolLM2
# peak RSS at 256 and 512 tokens per micro-batch. The full fine-tuning row is scaled the same way
# from a count of saved tensors, not measured.
ACT_COEFFS = {"lora": (21.3, 7.1), "qlora": (21.3, 7.1), "full": (14.3, 5.8)}
LORA_DROPOUT_COPIES = 7.5  # hidden-sized elements the dropout copies add (q,k,v,o,gate,up + masks)
# Logit-sized fp32 tensors alive at the peak: logits, log-softmax, their gradients.
LOGIT_COPIES = 4.0
# The methods whose loss is chunked, chunk_positions(vocab, hidden) positions at a time.
CHUNKED_LOSS_METHODS = ("sft", "cpt")

# Sequences per example and extra forward passes (frozen reference model) per method.
METHOD_SHAPE: dict[str, tuple[int, int]] = {
    "sft": (1, 0),
    "cpt": (1, 0),
    "dpo": (2, 1),
    "orpo": (2, 0),
    "simpo": (2, 0),
    "cpo": (2, 0),
    "kto": (1, 1),
    "reward": (2, 0),
    "grpo": (4, 1),  # num_generations completions scored against a reference
}

KNOWN_CONFIGS: dict[str, dict[str, Any]] = {
    # Shapes of the offline models (models.py), so an estimate never has to build or convert them.
    "tiny-llama": {
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 512,
        "tie_word_embeddings": False,
        "dtype": "float32",  # as built (loading.build_tiny_llama)
    },
    "SmolLM2-135M-Instruct": {
        "model_type": "llama",
        "hidden_size": 576,
        "intermediate_size": 1536,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "head_dim": 64,
        "vocab_size": 49152,
        "tie_word_embeddings": True,
        "dtype": "float32",  # as converted from the GGUF (loading.bootstrap_smollm2)
    },
}
KNOWN_CONFIGS["smollm2"] = KNOWN_CONFIGS["HuggingFaceTB/SmolLM2-135M-Instruct"] = KNOWN_CONFIGS["SmolLM2-135M-Instruct"]


# -- model shape ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelShape:
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied: bool

    @classmethod
    def from_config(cls, config: dict) -> ModelShape:
        config = config.get("text_config", config)  # multimodal configs nest the language model
        hidden = config.get("hidden_size") or config.get("n_embd") or config["d_model"]
        heads = config.get("num_attention_heads") or config.get("n_head")
        return cls(
            hidden=hidden,
            intermediate=config.get("intermediate_size") or config.get("n_inner") or 4 * hidden,
            layers=config.get("num_hidden_layers") or config.get("n_layer"),
            heads=heads,
            kv_heads=config.get("num_key_value_heads") or heads,
            head_dim=config.get("head_dim") or hidden // heads,
            vocab=config["vocab_size"],
            tied=bool(config.get("tie_word_embeddings", False)),
        )

    # Llama-style block: q, k, v, o projections and a gated MLP (gate, up, down).
    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        q = self.heads * self.head_dim
        kv = self.kv_heads * self.head_dim
        h, i = self.hidden, self.intermediate
        return {
            "q_proj": (h, q),
            "k_proj": (h, kv),
            "v_proj": (h, kv),
            "o_proj": (q, h),
            "gate_proj": (h, i),
            "up_proj": (h, i),
            "down_proj": (i, h),
        }

    @property
    def block_linear_params(self) -> int:
        return self.layers * sum(a * b for a, b in self.linear_shapes().values())

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied else 2)

    @property
    def params(self) -> int:
        norms = self.layers * 2 * self.hidden + self.hidden
        return self.block_linear_params + self.embedding_params + norms

    def lora_params(self, rank: int, targets: list[str] | str) -> int:
        shapes = self.linear_shapes()
        if targets in ("auto", "all-linear") or targets is None:
            chosen = list(shapes)
        else:
            chosen = [name for name in shapes if name in targets]
        return self.layers * sum(rank * (shapes[n][0] + shapes[n][1]) for n in chosen)


def load_model_config(base_model: str, cache_dir: str | None = None) -> dict:
    """config.json of a base model, without loading weights or converting anything."""
    from tuneforge.training.spec import names_a_folder

    path = Path(base_model).expanduser()
    # "org/name" is a Hub id, never a folder relative to the working directory (see loading.resolve_base_model).
    if names_a_folder(base_model) and path.is_dir():
        for candidate in (path / "merged" / "config.json", path / "config.json"):
            if candidate.exists():
                return json.loads(candidate.read_text())
        adapter = path / "adapter_config.json"
        if adapter.exists():  # a LoRA run's output: its base decides the shape
            return load_model_config(json.loads(adapter.read_text())["base_model_name_or_path"], cache_dir)
    cache = Path(cache_dir) if cache_dir else Path(
        os.environ.get("TUNEFORGE_MODEL_CACHE", Path.home() / ".cache" / "tuneforge" / "models")
    )
    cached = cache / base_model / "config.json"
    if cached.exists():
        return json.loads(cached.read_text())
    if base_model in KNOWN_CONFIGS:
        return dict(KNOWN_CONFIGS[base_model])
    raise ValueError(
        f"no config.json for base model {base_model!r} on this machine; pass model_config= "
        "(the model's config.json as a dict) or download the model first"
    )


# -- the plan an estimate is made for --------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    method: str = "sft"
    adapter: str = "lora"
    batch_size: int = 4
    gradient_accumulation: int = 1
    max_length: int = 512
    gradient_checkpointing: bool = False
    precision: str = "auto"
    lora_rank: int = 16
    lora_targets: Any = "auto"
    lora_dropout: float = 0.05
    optimizer: str = "adamw_torch"
    max_steps: int | None = None
    epochs: float = 1.0
    packing: bool = False
    # What the phases besides the steps depend on (evaluation, checkpoints, saving).
    validation_split: float = 0.1
    eval_enabled: bool = True
    generation_samples: int = 16
    max_new_tokens: int = 64
    compare_base: bool = True
    eval_steps: int | None = None
    save_steps: int | None = None
    merge_adapter: bool = False
    devices: int = 1  # processes under torchrun, one per device; batch_size is per device
    parallelism: str = "auto"  # auto, ddp or fsdp (the spec's choice; strategy_for)


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if obj is None:
            return default
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return default if obj is None else obj


def plan_from_spec(spec: Any) -> Plan:
    """A TrainingSpec (or its dict form) reduced to what memory and time depend on."""
    hp = _get(spec, "hyperparameters")
    batch_size = _get(hp, "batch_size", default=4)
    if _get(hp, "batch_tokens"):
        # A token budget holds at most budget // max_length rows of max_length: the worst case the
        # memory model assumes for rows too (every row at max_length).
        batch_size = max(1, int(_get(hp, "batch_tokens")) // int(_get(spec, "data", "max_length", default=512)))
    return Plan(
        method=_get(spec, "method", default="sft"),
        adapter=_get(spec, "adapter", default="lora"),
        batch_size=batch_size,
        gradient_accumulation=_get(hp, "gradient_accumulation", default=1),
        max_length=_get(spec, "data", "max_length", default=512),
        gradient_checkpointing=bool(_get(hp, "gradient_checkpointing", default=False)),
        precision=_get(hp, "precision", default="auto"),
        lora_rank=_get(spec, "lora", "rank", default=16),
        lora_targets=_get(spec, "lora", "target_modules", default="auto"),
        lora_dropout=_get(spec, "lora", "dropout", default=0.05),
        optimizer=_get(hp, "optimizer", default="adamw_torch"),
        max_steps=_get(hp, "max_steps"),
        epochs=_get(hp, "epochs", default=1.0),
        packing=bool(_get(spec, "data", "packing", default=False)),
        validation_split=float(_get(spec, "data", "validation_split", default=0.1)),
        eval_enabled=bool(_get(spec, "eval", "enabled", default=True)),
        generation_samples=int(_get(spec, "eval", "generation_samples", default=16)),
        max_new_tokens=int(_get(spec, "eval", "max_new_tokens", default=64)),
        compare_base=bool(_get(spec, "eval", "compare_base", default=True)),
        eval_steps=_get(hp, "eval_steps"),
        save_steps=_get(hp, "save_steps"),
        merge_adapter=bool(_get(spec, "merge_adapter", default=False)),
        devices=max(1, int(_get(spec, "devices", default=1))),
        parallelism=_get(spec, "parallelism", default="auto"),
    )


def _resolve_precision(requested: str, device: dict) -> str:
    if requested != "auto":
        return requested
    if device.get("type") == "cuda":
        return "bf16" if device.get("bf16", True) else "fp16"
    return "fp32"


# -- memory ----------------------------------------------------------------------------------------


def strategy_for(shape: ModelShape, plan: Plan, device: dict) -> str:
    """How N devices share the job, by the runner's own rule (distributed.choose_strategy): "single" on
    one; the spec's `parallelism` when it names one; else "fsdp" (weights, gradients and optimizer states
    sharded N ways) for full fine-tuning on CUDA that does not fit one device, "ddp" (a whole copy per
    device) otherwise."""
    fits_one = None
    if plan.devices > 1 and plan.parallelism == "auto" and plan.adapter == "full" and device.get("type") == "cuda":
        one = replace(plan, devices=1)
        peak = sum(memory_breakdown(shape, one, device).values())
        available = _device_memory(device)
        fits_one = available is None or peak <= FIT_SHARE * available
    return choose_strategy(plan.devices, adapter=plan.adapter, device_type=str(device.get("type")),
                           fits_one_device=fits_one, requested=plan.parallelism)


def memory_breakdown(shape: ModelShape, plan: Plan, device: dict, *, strategy: str = "single") -> dict[str, int]:
    """One process's memory at its peak (one device's, on N devices). `strategy` (strategy_for): DDP
    adds gradient buckets, a copy of the trainable gradients (fp32) it all-reduces; FSDP divides the
    weights, gradients and optimizer states by N and adds the one layer it gathers whole at a time
    (weights and gradients, fp32)."""
    precision = _resolve_precision(plan.precision, device)
    half = precision in ("bf16", "fp16")
    act_bytes = 2 if half else 4
    sequences, _ = METHOD_SHAPE.get(plan.method, (1, 0))
    tokens = plan.batch_size * plan.max_length * sequences  # worst case: every row at max_length
    h, i, L = shape.hidden, shape.intermediate, shape.layers
    optimizer_bytes = 2 if plan.optimizer == "adamw_8bit" else (0 if plan.optimizer == "sgd" else 8)

    if plan.adapter == "full":
        # The runner keeps fully trained weights in fp32; autocast does the mixed precision.
        weights = shape.params * 4
        trainable = shape.params * (4 + optimizer_bytes)  # gradients + optimizer states
    else:
        lora = shape.lora_params(plan.lora_rank, plan.lora_targets)
        trainable = lora * (4 + 4 + optimizer_bytes)  # fp32 adapter weights, gradients, states
        other = shape.params - shape.block_linear_params
        if plan.adapter == "qlora":
            # NF4 is 4 bits per weight plus block absmax (double quantisation: ~0.127 bit);
            # prepare_model_for_kbit_training upcasts the remaining weights to fp32.
            weights = int(shape.block_linear_params * (0.5 + 0.016)) + other * 4
        else:
            weights = shape.params * (2 if half else 4)

    a_h, a_i = ACT_COEFFS.get(plan.adapter, ACT_COEFFS["lora"])
    if plan.adapter != "full" and plan.lora_dropout == 0:
        a_h -= LORA_DROPOUT_COPIES  # no dropout copies of the adapted inputs
    per_token_layer = (a_h * h + a_i * i) * act_bytes
    if plan.gradient_checkpointing:
        # Only each layer's input is kept; one layer is recomputed (and held) at a time.
        activations = tokens * (L * h * act_bytes + per_token_layer)
    else:
        activations = tokens * L * per_token_layer
    # sft and cpt compute the loss in chunks of trained positions (chunked_loss.py): one chunk's
    # logits exist at a time, however long the batch.
    chunked = min(tokens, chunk_positions(shape.vocab, shape.hidden))
    logit_tokens = chunked if plan.method in CHUNKED_LOSS_METHODS else tokens
    logits = int(logit_tokens * shape.vocab * 4 * LOGIT_COPIES)

    framework = CUDA_CONTEXT_BYTES if device.get("type") == "cuda" else CPU_FRAMEWORK_BYTES
    distributed = 0
    if strategy == "ddp":
        trained = shape.params if plan.adapter == "full" else shape.lora_params(plan.lora_rank, plan.lora_targets)
        distributed = trained * 4
    elif strategy == "fsdp":
        weights, trainable = weights / plan.devices, trainable / plan.devices
        # The largest unit FSDP gathers at once: a decoder layer, or the embedding / LM head.
        distributed = 2 * 4 * max(shape.block_linear_params / max(L, 1), shape.vocab * shape.hidden)
    return {
        "weights": int(weights),
        "trainable_states": int(trainable),
        "activations": int(activations),
        "logits": logits,
        "framework": int(framework),
        "distributed_buffers": int(distributed),
    }


# -- time ------------------------------------------------------------------------------------------


def _throughput(device: dict, precision: str) -> float:
    """Effective training FLOP/s."""
    if device.get("type") == "cuda":
        gpu = match_gpu(device.get("name", ""))
        peak = gpu.half_precision_tflops * 1e12 if gpu else 100e12
        util = GPU_UTILISATION * (1.0 if precision in ("bf16", "fp16") else GPU_FP32_FRACTION)
        return peak * util
    if device.get("type") == "mps":
        return 3e12
    cores = max(int(device.get("cores") or os.cpu_count() or 1), 1)
    per_core = CPU_FLOPS_PER_CORE * cpu_speed_ratio(device, "matmul_flops")
    return per_core * (1 + (cores - 1) * CPU_PARALLEL_EFFICIENCY)


def cpu_speed_ratio(device: dict, key: str) -> float:
    """The device's measured `speed[key]` over the reference machine's (1.0 when not measured)."""
    measured = (device.get("speed") or {}).get(key)
    if not isinstance(measured, (int, float)) or measured <= 0:
        return 1.0
    # Bounded: a measurement taken while the machine was swapping should not promise a 100x speed-up.
    return min(max(measured / REFERENCE_CPU_SPEED[key], 0.1), 10.0)


def forward_flops_per_token(shape: ModelShape, max_length: int) -> float:
    """Forward matmul FLOPs per token: every block weight and the LM head once, plus attention
    scores and weighted sums over (on average) half the sequence."""
    lm_head = shape.vocab * shape.hidden
    attention = 2 * 2 * shape.layers * (max_length / 2) * shape.heads * shape.head_dim
    return 2 * (shape.block_linear_params + lm_head) + attention


def step_flops(shape: ModelShape, plan: Plan) -> float:
    sequences, ref_passes = METHOD_SHAPE.get(plan.method, (1, 0))
    tokens = plan.batch_size * plan.max_length * sequences
    lm_head = shape.vocab * shape.hidden
    forward = forward_flops_per_token(shape, plan.max_length)
    if plan.adapter == "full":
        passes = 3.0  # forward, input gradients, weight gradients
    else:
        lora = shape.lora_params(plan.lora_rank, plan.lora_targets)
        passes = 2.0 + 3 * lora / max(shape.block_linear_params + lm_head, 1)
    if plan.gradient_checkpointing:
        passes += 1.0
    passes += ref_passes
    return forward * passes * tokens


def seconds_per_step(shape: ModelShape, plan: Plan, device: dict) -> float:
    precision = _resolve_precision(plan.precision, device)
    compute = step_flops(shape, plan) / _throughput(device, precision)
    if device.get("type") == "cuda":
        step_cost, layer_cost = GPU_STEP_OVERHEAD_S, GPU_LAYER_OVERHEAD_S
    else:
        step_cost, layer_cost = CPU_STEP_OVERHEAD_S, CPU_LAYER_OVERHEAD_S
    if device.get("type") not in ("cuda", "mps") and plan.adapter != "full" and plan.lora_dropout == 0:
        layer_cost -= CPU_LORA_DROPOUT_LAYER_S  # peft skips the dropout ops entirely
    if device.get("type") not in ("cuda", "mps"):
        slower = cpu_speed_ratio(device, "dispatch_seconds")  # seconds: a larger one is a slower CPU
        step_cost, layer_cost = step_cost * slower, layer_cost * slower
    if plan.gradient_checkpointing:
        layer_cost *= 1.3
    if plan.adapter == "qlora":
        compute *= 1.5 if device.get("type") == "cuda" else 3.0  # dequantising every weight, every pass
    micro = compute + shape.layers * layer_cost
    return plan.gradient_accumulation * micro + step_cost


# -- phases: what the wall time of a run is made of --------------------------------------------------
#
# A run is more than its steps: the trainer process starts (and on Modal a container first), loads
# the model and tokenizer, tokenises the rows, trains, saves, and evaluates (held-out loss with the
# fine-tuned model and the base, then greedy answers from both). Each phase is estimated on its own
# and named like the trainer's `phase` events (event_stream.PHASES) plus `startup`, so the job page
# can put what happened next to what was expected.
#
# calibrated: bench/estimate_accuracy.py on the 2-core development VM (figures in bench/README.md),
# one thread, load average 2.5-3.7 from other engineers' tests. Not measured here (no GPU, no Modal):
# CUDA_INIT_S, HOST_TO_DEVICE_BYTES_PER_S, GPU_DECODE_LAYER_S, MODAL_CONTAINER_START_S, MODAL_FETCH_BYTES_PER_S,
# which are typical published figures.

PHASE_LABELS = {
    "startup": "Start-up (process, imports; on Modal the container)",
    "loading_model": "Loading the model and tokenizer",
    "tokenizing": "Tokenising the rows",
    "training": "Training steps",
    "saving": "Saving the weights",
    "evaluating": "Evaluating (held-out loss, generated answers)",
}
PHASE_ORDER = ("startup", "loading_model", "tokenizing", "training", "saving", "evaluating")

# calibrated: the trainer process from exec to its first phase (interpreter, torch, transformers,
# peft, trl imports) and from its last event to its exit: 5.1-6.4 s in all at load average 1-2 here
# (imports read files and run module code: they do not follow the dispatch measurement, so this is
# not scaled by it); 9-10 s at load 6.
PROCESS_START_S = 4.3
PROCESS_EXIT_S = 1.2
CUDA_INIT_S = 3.0  # creating the CUDA context and the first kernels (typically 1-5 s)
# Modal: scheduling and cold-starting a GPU container with the training image, sending the spec
# and data, and fetching the outputs back. The same for every GPU type.
MODAL_CONTAINER_START_S = 30.0
# Loading. calibrated: SmolLM2's 538 MB fp32 safetensors (from the page cache) and its LoRA
# wrapping in 0.34-0.40 s, tiny-llama in 0.09-0.24 s; tokenizers load in ~7 µs per vocabulary entry
# (SmolLM2's 49k: 0.35-0.37 s; tiny-llama's 512: 0.01 s).
LOAD_FIXED_S = 0.1
LOAD_BYTES_PER_S = 2e9
PEFT_WRAP_LAYER_S = 0.002
TOKENIZER_LOAD_S_PER_VOCAB = 7e-6
HOST_TO_DEVICE_BYTES_PER_S = 10e9  # pinned-less copies over PCIe
QUANTIZE_BYTES_PER_S = 5e9  # bitsandbytes NF4 quantisation while loading
# A Modal container has no model cache: the weights are fetched (Hub) or built (bundled models:
# tiny-llama is built in ~5 s here, SmolLM2 converted from its GGUF in ~40 s) on every run.
MODAL_FETCH_BYTES_PER_S = 150e6
BUNDLED_PREPARE_S = {TINY_LLAMA: 5.0, SMOLLM2: 40.0, "smollm2": 40.0, f"HuggingFaceTB/{SMOLLM2}": 40.0}
# Tokenising: chat template + tokenizer per row. calibrated: ~0.9 ms per 128-token row (tiny-llama,
# 160 rows in 0.14 s; SmolLM2, 40 rows in 0.044 s).
TOKENIZE_ROW_S = 0.3e-3
TOKENIZE_TOKEN_S = 5e-6
TOKENIZE_TRL_FIXED_S = 0.5  # trl's preference/GRPO trainers tokenise through datasets.map
# Building the Trainer and its set-up before the first step, which the trainer reports as part of
# tokenising (its `training` phase starts at the first step). calibrated: 0.23-0.3 s.
TRAIN_START_S = 0.25
# Evaluation. A held-out batch is one forward pass: its FLOPs plus a share of the per-layer
# dispatch of a training step (no backward). calibrated: SmolLM2, 2 x 128 tokens in 1.3 s.
FORWARD_OVERHEAD_SHARE = 0.4
EVAL_BATCH_S = 0.005
# Generating: one forward per new token over the KV cache, every answer to max_new_tokens (one
# that stops sooner makes evaluation shorter: the low end of the range). On a CPU: reading every
# weight once, the skinny matmuls of each prompt in the batch, ~0.4 ms per layer and ~1 ms per
# token of generate()'s own work. calibrated, one thread, 64 forced tokens: SmolLM2 87 ms per token
# at batch 2 and 153 ms at batch 8 (538 MB of fp32 weights at ~10 GB/s, ~11 ms per prompt),
# tiny-llama 2.0 ms. On a GPU the larger of FLOPs and reading every weight once (at ~60% of peak
# bandwidth), plus kernel launches per layer.
CPU_DECODE_BYTES_PER_S = 10e9
CPU_DECODE_FLOPS_PER_CORE = 25e9
CPU_DECODE_LAYER_S = 0.4e-3
GENERATE_TOKEN_S = 1.0e-3
GPU_DECODE_LAYER_S = 0.25e-3
GPU_BANDWIDTH_EFFICIENCY = 0.6
MPS_BANDWIDTH_BYTES_PER_S = 100e9
# Saving: adapter or full weights, tokenizer, model card. calibrated: tiny-llama 0.02-0.04 s,
# SmolLM2's 19.6 MB adapter and 3.5 MB tokenizer 0.09-0.10 s.
SAVE_FIXED_S = 0.015
SAVE_BYTES_PER_S = 1e9
TOKENIZER_SAVE_S_PER_VOCAB = 1e-6

# The range shown around an estimate: actual / estimated of whole runs here (bench/README.md,
# "Estimate accuracy") was 0.72-1.41 while the machine's other load left the trainer its cores
# (load average 1-2 on 2 cores): low when answers stop before max_new_tokens or rows are shorter
# than max_length, high when the CPU is shared. CPUs: 0.6-1.5. GPUs and Modal have not been
# measured here: 0.6-2.0. A machine loaded beyond its cores runs slower than any range says
# (2-10x at load 5-6 here): the running accuracy (jobs/accuracy.py) shows what a server really does.
RANGE_FACTORS = {"cpu": (0.6, 1.5), "accelerator": (0.6, 2.0)}


def _on_accelerator(device: dict) -> bool:
    return device.get("type") in ("cuda", "mps")


def _host_ratio(device: dict) -> float:
    """How much slower this device's host runs Python than the reference CPU (1 on accelerators:
    their host is not measured)."""
    return 1.0 if _on_accelerator(device) else cpu_speed_ratio(device, "dispatch_seconds")


def _memory_bandwidth(device: dict) -> float | None:
    if device.get("type") == "cuda":
        gpu = match_gpu(device.get("name", ""))
        return (gpu.memory_bandwidth_gbs if gpu else 1000.0) * 1e9 * GPU_BANDWIDTH_EFFICIENCY
    if device.get("type") == "mps":
        return MPS_BANDWIDTH_BYTES_PER_S
    return None


def checkpoint_bytes(shape: ModelShape, model_config: dict | None) -> int:
    """Bytes of the base model's weights on disk, from config.json's dtype (bf16 when it says nothing)."""
    config = (model_config or {}).get("text_config", model_config or {})
    dtype = str(config.get("torch_dtype") or config.get("dtype") or (model_config or {}).get("torch_dtype") or "bfloat16")
    return shape.params * (4 if "32" in dtype else 2)


def range_factors(device: dict) -> tuple[float, float]:
    return RANGE_FACTORS["accelerator" if _on_accelerator(device) else "cpu"]


def _forward_seconds(shape: ModelShape, plan: Plan, device: dict, tokens: int) -> float:
    """One forward pass (no gradients) over `tokens` tokens: a held-out batch."""
    precision = _resolve_precision(plan.precision, device)
    compute = forward_flops_per_token(shape, plan.max_length) * tokens / _throughput(device, precision)
    if plan.adapter == "qlora":
        compute *= 1.5 if device.get("type") == "cuda" else 3.0
    layer_cost = GPU_LAYER_OVERHEAD_S if _on_accelerator(device) else CPU_LAYER_OVERHEAD_S * _host_ratio(device)
    return compute + shape.layers * layer_cost * FORWARD_OVERHEAD_SHARE + EVAL_BATCH_S


def _decode_step_seconds(shape: ModelShape, plan: Plan, device: dict, batch: int, weight_bytes: int) -> float:
    """One new token for `batch` prompts at once (KV cache: one token's FLOPs per prompt)."""
    precision = _resolve_precision(plan.precision, device)
    flops = 2 * (shape.block_linear_params + shape.vocab * shape.hidden) * batch
    if _on_accelerator(device):
        bandwidth = _memory_bandwidth(device) or 1e12
        compute = flops / _throughput(device, precision)
        return max(compute, weight_bytes / bandwidth) + shape.layers * GPU_DECODE_LAYER_S + GENERATE_TOKEN_S
    # The CPU's matmul speed and cores as for training (its throughput against one reference core).
    compute = flops / (CPU_DECODE_FLOPS_PER_CORE * _throughput(device, precision) / CPU_FLOPS_PER_CORE)
    return weight_bytes / CPU_DECODE_BYTES_PER_S + compute + (shape.layers * CPU_DECODE_LAYER_S + GENERATE_TOKEN_S) * _host_ratio(device)


def phase_seconds(
    shape: ModelShape,
    plan: Plan,
    device: dict,
    *,
    steps: int | None,
    step_seconds: float,
    train_rows: int | None,
    eval_rows: int | None,
    weight_bytes: int,
    disk_bytes: int,
    executor: str = "local",
    base_model: str | None = None,
) -> dict[str, float]:
    """Seconds of each phase of a run (PHASE_ORDER) of `plan` on `device`, run by `executor`
    (local: a worker's trainer subprocess; modal: the same entry in a Modal container)."""
    accelerator = _on_accelerator(device)
    ratio = _host_ratio(device)
    sequences, _ = METHOD_SHAPE.get(plan.method, (1, 0))
    per_step_rows = plan.batch_size * plan.gradient_accumulation * plan.devices

    startup = PROCESS_START_S + PROCESS_EXIT_S + (CUDA_INIT_S if accelerator else 0.0)
    if plan.devices > 1:
        startup += TORCHRUN_START_S  # the ranks start at once: loading and tokenising happen in parallel
    if executor == "modal":
        startup += MODAL_CONTAINER_START_S

    loading = LOAD_FIXED_S + disk_bytes / LOAD_BYTES_PER_S + shape.vocab * TOKENIZER_LOAD_S_PER_VOCAB
    if plan.adapter != "full":
        loading += shape.layers * PEFT_WRAP_LAYER_S
    if plan.adapter == "qlora":
        loading += disk_bytes / QUANTIZE_BYTES_PER_S
    if accelerator:
        loading += weight_bytes / HOST_TO_DEVICE_BYTES_PER_S
    if executor == "modal":
        loading += BUNDLED_PREPARE_S.get(base_model or "", disk_bytes / MODAL_FETCH_BYTES_PER_S)

    # Rows are tokenised once each (training and held out), however many epochs follow.
    rows = train_rows if train_rows is not None else (steps or 0) * per_step_rows
    held_out = eval_rows
    if held_out is None:  # unknown data: the split of what training will see
        held_out = round(rows * plan.validation_split / max(1 - plan.validation_split, 0.1)) if plan.validation_split else 0
    tokenizing = (rows + held_out) * sequences * (TOKENIZE_ROW_S + plan.max_length * TOKENIZE_TOKEN_S) * ratio
    tokenizing += TRAIN_START_S * ratio
    if plan.method not in ("sft", "cpt"):
        tokenizing += TOKENIZE_TRL_FIXED_S * ratio

    training = (steps or 0) * step_seconds
    trainable = shape.params if plan.adapter == "full" else shape.lora_params(plan.lora_rank, plan.lora_targets)
    optimizer_bytes = 2 if plan.optimizer == "adamw_8bit" else (0 if plan.optimizer == "sgd" else 8)
    if steps and plan.save_steps:  # checkpoints: trainable weights and their optimizer states
        training += (steps // plan.save_steps) * trainable * (4 + optimizer_bytes) / SAVE_BYTES_PER_S

    saved = trainable * 4 if plan.adapter != "full" else shape.params * 4
    saving = SAVE_FIXED_S + saved / SAVE_BYTES_PER_S + shape.vocab * TOKENIZER_SAVE_S_PER_VOCAB
    if plan.adapter != "full" and (plan.merge_adapter or plan.method == "reward"):
        # A merged copy (deep copy, merge) is written in full.
        saving += disk_bytes / LOAD_BYTES_PER_S + shape.params * 4 / SAVE_BYTES_PER_S

    evaluating = 0.0
    if held_out:
        batches = math.ceil(held_out / plan.batch_size)
        batch_seconds = _forward_seconds(shape, plan, device, plan.batch_size * plan.max_length * sequences)
        passes = 0
        if plan.method != "grpo":
            passes += 1  # the Trainer's own evaluation at the end
        if plan.eval_steps and steps:
            passes += steps // plan.eval_steps
        generating = 0.0
        if plan.eval_enabled and plan.method != "reward":
            models = 2 if plan.compare_base else 1
            passes += models  # held-out loss of the fine-tuned model and of the base
            samples = min(plan.generation_samples, held_out)
            decode_steps = math.ceil(samples / plan.batch_size) * plan.max_new_tokens * models
            generating = decode_steps * _decode_step_seconds(shape, plan, device, min(plan.batch_size, samples or 1), weight_bytes)
        evaluating = passes * batches * batch_seconds + generating

    return {
        "startup": startup,
        "loading_model": loading,
        "tokenizing": tokenizing,
        "training": training,
        "saving": saving,
        "evaluating": evaluating,
    }


def add_phases(result: dict, phases: dict[str, float], device: dict) -> None:
    """`phases`, `wall_seconds` (their sum) and its range on an estimate `result`."""
    shown = [{"name": name, "label": PHASE_LABELS[name], "seconds": round(phases[name], 1)} for name in PHASE_ORDER]
    wall = round(sum(p["seconds"] for p in shown), 1)
    low, high = range_factors(device)
    result["phases"] = shown
    result["startup_seconds"] = shown[0]["seconds"]
    result["wall_seconds"] = wall
    result["wall_seconds_low"] = round(wall * low, 1)
    result["wall_seconds_high"] = round(wall * high, 1)
    result["range_factors"] = {"low": low, "high": high}


# -- the estimate ------------------------------------------------------------------------------------


# A run fits when its peak is at most this share of the device's memory (fragmentation, other tenants).
FIT_SHARE = 0.92


def _device_memory(device: dict) -> int | None:
    free = device.get("free_memory_bytes")
    total = device.get("total_memory_bytes")
    if device.get("type") == "cpu" and total and free is None:
        free = total
    return free if free is not None else total


def _total_steps(plan: Plan, num_rows: int | None) -> int | None:
    if plan.max_steps:
        return int(plan.max_steps)
    if not num_rows:
        return None
    per_step = plan.batch_size * plan.gradient_accumulation * plan.devices  # the global batch
    return max(1, math.ceil(num_rows / per_step) * math.ceil(plan.epochs))


def _lines(path: Path, cap: int | None) -> int | None:
    if not path.is_file() or path.stat().st_size > 512 * 2**20:
        return None
    with path.open("rb") as fh:
        n = sum(1 for line in fh if line.strip())
    return min(n, cap) if cap else n


def _count_split(spec: Any) -> tuple[int | None, int | None]:
    """(training rows, held-out rows) the way data.load_splits makes them; None when unknown."""
    sources = _get(spec, "data", "sources", default=[])
    cap = _get(spec, "data", "max_rows")
    split = _get(spec, "data", "validation_split", default=0.0) or 0.0
    validation_path = _get(spec, "data", "validation_path")
    train = held_out = 0
    for source in sources:
        n = _lines(Path(_get(source, "path", default="")), cap)
        if n is None:
            return None, None
        n_eval = 0
        if validation_path is None and split > 0 and n > 1:
            n_eval = min(max(1, round(n * split)), n - 1)
        train += n - n_eval
        held_out += n_eval
    if validation_path:
        held_out = _lines(Path(validation_path), cap) or 0
    return (train or None), (held_out if train else None)


def _count_rows(spec: Any) -> int | None:
    return _count_split(spec)[0]


def _process_device(device: dict, devices: int) -> dict:
    """What one of `devices` processes gets of `device`: a GPU each, or its share of a CPU's cores."""
    if devices <= 1 or device.get("type") != "cpu":
        return device
    cores = max(int(device.get("cores") or os.cpu_count() or 1), 1)
    return {**device, "cores": max(1, cores // devices)}


def _core(shape: ModelShape, plan: Plan, device: dict, num_rows: int | None) -> dict:
    strategy = strategy_for(shape, plan, device)
    breakdown = memory_breakdown(shape, plan, device, strategy=strategy)
    training = sum(breakdown.values())
    runtime = CPU_RUNTIME_BYTES if device.get("type") in ("cpu", "mps", None) else 0
    peak = training + runtime
    if device.get("type") != "cuda":
        # Processes on a CPU share its memory, each with its own copy of everything: the machine holds N.
        training, peak = training * plan.devices, peak * plan.devices
    available = _device_memory(device)
    step_s = seconds_per_step(shape, plan, _process_device(device, plan.devices)) / SCALING_EFFICIENCY[strategy]
    steps = _total_steps(plan, num_rows)
    result = {
        "devices": plan.devices,
        "strategy": strategy,
        "device": {k: device.get(k) for k in ("type", "name", "total_memory_bytes", "free_memory_bytes")},
        "precision": _resolve_precision(plan.precision, device),
        "parameters": shape.params,
        "trainable_parameters": shape.params if plan.adapter == "full" else shape.lora_params(plan.lora_rank, plan.lora_targets),
        "memory_breakdown_bytes": breakdown,
        # What the run itself adds (what the tests measure as peak RSS growth on CPU) ...
        "training_memory_bytes": training,
        # ... and what it needs from the device, a CPU process's own runtime included.
        "peak_memory_bytes": peak,
        "peak_memory_gib": round(peak / GiB, 2),
        "available_memory_bytes": available,
        "fits": bool(available is None or peak <= FIT_SHARE * available),
        "seconds_per_step": round(step_s, 4),
        # Rows per optimizer step over every device: batch_size is per device.
        "global_batch": plan.batch_size * plan.gradient_accumulation * plan.devices,
        "tokens_per_step": plan.batch_size * plan.gradient_accumulation * plan.devices * plan.max_length,
        "total_steps": steps,
        "total_seconds": round(step_s * steps, 1) if steps else None,
    }
    gpu = match_gpu(device.get("name", "")) if device.get("type") == "cuda" else None
    if gpu and steps:  # every one of the N GPUs is billed
        result["cost_usd"] = round(step_s * steps / 3600 * gpu.usd_per_hour * plan.devices, 2)
    return result


def _suggestions(shape: ModelShape, plan: Plan, device: dict, num_rows: int | None, base: dict) -> list[dict]:
    options: list[tuple[str, str, Plan]] = []
    if plan.adapter == "full":
        options.append(("use_lora", "use LoRA instead of full fine-tuning", replace(plan, adapter="lora")))
    if plan.adapter == "lora" and device.get("type") == "cuda":
        options.append(("enable_qlora", "enable QLoRA (4-bit base weights)", replace(plan, adapter="qlora")))
    if not plan.gradient_checkpointing:
        options.append(
            ("gradient_checkpointing", "enable gradient checkpointing", replace(plan, gradient_checkpointing=True))
        )
    if plan.batch_size > 1:
        options.append(
            (
                "halve_batch",
                f"halve batch size and double accumulation ({plan.batch_size}x{plan.gradient_accumulation} -> "
                f"{plan.batch_size // 2}x{plan.gradient_accumulation * 2})",
                replace(plan, batch_size=plan.batch_size // 2, gradient_accumulation=plan.gradient_accumulation * 2),
            )
        )
    suggestions = []
    for action, message, changed in options:
        result = _core(shape, changed, device, num_rows)
        saved = base["peak_memory_bytes"] - result["peak_memory_bytes"]
        if saved <= 0:
            continue
        suggestions.append(
            {
                "action": action,
                "message": f"{message}: peak {result['peak_memory_gib']} GiB (saves {saved / GiB:.2f} GiB)",
                "peak_memory_bytes": result["peak_memory_bytes"],
                "seconds_per_step": result["seconds_per_step"],
                "fits": result["fits"],
            }
        )
    # Best first: those that make it fit, then by memory.
    suggestions.sort(key=lambda s: (not s["fits"], s["peak_memory_bytes"]))
    if not base["fits"]:
        for gpu in sorted(GPU_TYPES.values(), key=lambda g: (g.usd_per_hour, g.memory_gib)):
            gpu_result = _core(shape, plan, gpu.as_device(), num_rows)
            if gpu_result["fits"]:
                suggestions.append(
                    {
                        "action": "bigger_gpu",
                        "message": f"use an {gpu.name} ({gpu.memory_gib:g} GiB): peak {gpu_result['peak_memory_gib']} GiB",
                        "gpu": gpu.name,
                        "peak_memory_bytes": gpu_result["peak_memory_bytes"],
                        "seconds_per_step": gpu_result["seconds_per_step"],
                        "fits": True,
                    }
                )
                break
    return suggestions


def estimate(
    spec: Any,
    device: dict,
    *,
    model_config: dict | None = None,
    num_rows: int | None = None,
    num_eval_rows: int | None = None,
    executor: str = "local",
) -> dict:
    """Peak memory, time and fit of `spec` on `device` (a dict from hardware.detect_devices()), and
    the wall time of each phase of the run with its range (`phases`, `wall_seconds[_low|_high]`)
    when `executor` ("local" or "modal") runs it."""
    plan = plan_from_spec(spec)
    base_model = _get(spec, "base_model", default=DEFAULT_BASE_MODEL)
    if model_config is None:
        model_config = load_model_config(base_model, _get(spec, "model_cache_dir"))
    shape = ModelShape.from_config(model_config)
    if num_rows is None:
        num_rows, counted_eval = _count_split(spec)
        num_eval_rows = counted_eval if num_eval_rows is None else num_eval_rows
    result = _core(shape, plan, device, num_rows)
    phases = phase_seconds(
        shape, plan, device, steps=result["total_steps"], step_seconds=result["seconds_per_step"],
        train_rows=num_rows, eval_rows=num_eval_rows, weight_bytes=result["memory_breakdown_bytes"]["weights"],
        disk_bytes=checkpoint_bytes(shape, model_config), executor=executor, base_model=base_model,
    )
    if result["total_steps"]:  # without a number of steps there is no wall time to show
        add_phases(result, phases, device)
    result["suggestions"] = _suggestions(shape, plan, device, num_rows, result)
    if not result["fits"]:
        need = result["peak_memory_gib"]
        have = (result["available_memory_bytes"] or 0) / GiB
        result["message"] = f"will not fit: needs about {need} GiB, {have:.1f} GiB available"
    return result
