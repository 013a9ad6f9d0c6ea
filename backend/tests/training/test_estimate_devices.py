"""The estimate of one job over N devices (training/estimate.py, "several devices"): fewer, equally long
steps on GPUs, no speed-up from processes sharing one CPU, each device's memory by strategy, N GPUs billed."""

from __future__ import annotations

import pytest

from tuneforge.training.catalogue import GPU_TYPES
from tuneforge.training.estimate import SCALING_EFFICIENCY, estimate

H100 = GPU_TYPES["H100"].as_device()
CPU = {"type": "cpu", "name": "x86_64", "cores": 8, "total_memory_bytes": 64 * 2**30}
# Llama-3-8B's shape: full fine-tuning needs ~120 GiB on one device, more than an H100 has.
LLAMA_8B = {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
            "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256}


def _spec(devices: int, adapter: str = "lora", **hyperparameters) -> dict:
    return {"method": "sft", "adapter": adapter, "base_model": "SmolLM2-135M-Instruct", "devices": devices,
            "hyperparameters": {"batch_size": 8, "epochs": 1, **hyperparameters}, "data": {"max_length": 512}}


def test_two_gpus_take_half_the_steps_and_a_little_over_half_the_time():
    one = estimate(_spec(1), H100, num_rows=4000, num_eval_rows=0)
    two = estimate(_spec(2), H100, num_rows=4000, num_eval_rows=0)
    assert (one["devices"], one["strategy"]) == (1, "single")
    assert (two["devices"], two["strategy"]) == (2, "ddp")
    assert two["total_steps"] == one["total_steps"] // 2  # the global batch is twice as large
    assert two["tokens_per_step"] == 2 * one["tokens_per_step"]
    assert two["total_seconds"] == pytest.approx(one["total_seconds"] / (2 * SCALING_EFFICIENCY["ddp"]), rel=0.01)
    assert two["wall_seconds"] < 0.8 * one["wall_seconds"]


def test_ddp_keeps_a_whole_copy_per_gpu_plus_its_gradient_buckets():
    one = estimate(_spec(1), H100, num_rows=4000)
    two = estimate(_spec(2), H100, num_rows=4000)
    buckets = two["memory_breakdown_bytes"]["distributed_buffers"]
    assert buckets == two["trainable_parameters"] * 4  # fp32 gradients of the LoRA weights
    assert two["peak_memory_bytes"] == one["peak_memory_bytes"] + buckets


def test_full_fine_tuning_that_does_not_fit_one_gpu_is_sharded_over_several():
    spec = _spec(1, adapter="full", batch_size=1, gradient_checkpointing=True)
    one = estimate(spec, H100, model_config=LLAMA_8B, num_rows=1000)
    four = estimate({**spec, "devices": 4}, H100, model_config=LLAMA_8B, num_rows=1000)
    assert not one["fits"] and one["strategy"] == "single"
    assert four["fits"] and four["strategy"] == "fsdp"
    for part in ("weights", "trainable_states"):
        assert four["memory_breakdown_bytes"][part] == pytest.approx(one["memory_breakdown_bytes"][part] / 4, abs=1)
    # A model that fits one GPU is not sharded: plain DDP, unless the spec asks for FSDP (as the runner decides).
    assert estimate(_spec(4, adapter="full"), H100, num_rows=1000)["strategy"] == "ddp"
    assert estimate({**_spec(4, adapter="full"), "parallelism": "fsdp"}, H100, num_rows=1000)["strategy"] == "fsdp"
    assert estimate({**spec, "devices": 4, "parallelism": "ddp"}, H100, model_config=LLAMA_8B, num_rows=1000)["fits"] is False


def test_processes_sharing_one_cpu_are_not_faster_and_each_holds_its_own_copy():
    one = estimate(_spec(1), CPU, num_rows=400, num_eval_rows=0)
    two = estimate(_spec(2), CPU, num_rows=400, num_eval_rows=0)
    assert two["total_steps"] == one["total_steps"] // 2
    assert 0.85 <= two["total_seconds"] / one["total_seconds"] <= 1.25
    assert two["peak_memory_bytes"] >= 2 * one["peak_memory_bytes"]


def test_every_gpu_is_billed():
    spec = _spec(1, adapter="full", batch_size=1, gradient_checkpointing=True)
    two = estimate({**spec, "devices": 2}, H100, model_config=LLAMA_8B, num_rows=1000)
    price = GPU_TYPES["H100"].usd_per_hour
    assert two["cost_usd"] == pytest.approx(two["total_seconds"] / 3600 * price * 2, abs=0.01)
