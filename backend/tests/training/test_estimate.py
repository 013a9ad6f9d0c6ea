"""The estimate against reality: real TuneForge SFT+LoRA runs on this CPU, measured in a fresh
subprocess (tuneforge.testing.measure: peak resident memory growth from just before the run, CPU
seconds per step, and the CPU's measured speed), compared with what `estimate` predicted from
config.json alone.

Memory must land within ±30%. Time is a benchmark's business (bench/estimate_accuracy.py checks
±30% and records the figures): here the estimate, calibrated with the speed measured around the
run, must be within a factor of two, which catches a wrong time model on any machine without
failing because a neighbour shared the CPU.
"""

from __future__ import annotations

import json

import pytest

from tuneforge.testing.measure import ONE_CORE, long_rows, lora_spec, measure_run, steady_step_seconds
from tuneforge.training import estimate as est
from tuneforge.training.catalogue import GPU_TYPES


def _check(spec: dict, warmup: int) -> None:
    measured = measure_run(spec)
    assert measured["status"] == "finished", measured["error"]
    predicted = est.estimate(spec, {**ONE_CORE, "speed": measured["speed"]})
    step = steady_step_seconds(measured, warmup)
    memory_ratio = predicted["training_memory_bytes"] / measured["peak_growth"]
    time_ratio = predicted["seconds_per_step"] / step
    report = (
        f"{spec['base_model']}: memory est {predicted['training_memory_bytes'] / 2**20:.0f} MiB vs measured "
        f"{measured['peak_growth'] / 2**20:.0f} MiB ({memory_ratio:.2f}); step est {predicted['seconds_per_step']:.3f}s "
        f"vs measured {step:.3f}s CPU ({time_ratio:.2f}); speed {measured['speed']}; all steps {measured['cpu_step_times']}"
    )
    print(report)
    assert 0.7 <= memory_ratio <= 1.3, report
    assert 0.5 <= time_ratio <= 2.0, report


@pytest.mark.parametrize("dropout", [0.05, 0.0])
def test_estimate_matches_a_measured_tiny_llama_run(model_cache, tmp_path, dropout):
    data = long_rows(tmp_path / "long.jsonl", 160)
    spec = lora_spec("tiny-llama", model_cache, data, tmp_path / "out", batch=8, length=128, steps=20)
    spec["lora"]["dropout"] = dropout  # without dropout peft skips 7 ops per layer: measurably faster
    _check(spec, warmup=2)


@pytest.mark.slow
def test_estimate_matches_a_measured_smollm2_run(tmp_path):
    from tuneforge.training.loading import default_cache_dir

    # The persistent cache: SmolLM2 is converted from its GGUF once per machine (~40 s), not per session.
    data = long_rows(tmp_path / "long.jsonl", 16)
    spec = lora_spec("SmolLM2-135M-Instruct", default_cache_dir(), data, tmp_path / "out", batch=2, length=128, steps=5)
    _check(spec, warmup=1)


def test_a_measured_cpu_speed_scales_the_time_estimate():
    spec = {"base_model": "SmolLM2-135M-Instruct", "data": {"max_length": 128}, "hyperparameters": {"batch_size": 2}}
    reference = est.estimate(spec, {**ONE_CORE, "speed": dict(est.REFERENCE_CPU_SPEED)})
    assert reference["seconds_per_step"] == pytest.approx(est.estimate(spec, ONE_CORE)["seconds_per_step"])
    # A CPU with twice the matmul throughput and half the dispatch time: every part of a step halves.
    faster = {"matmul_flops": 2 * est.REFERENCE_CPU_SPEED["matmul_flops"],
              "dispatch_seconds": est.REFERENCE_CPU_SPEED["dispatch_seconds"] / 2}
    assert est.estimate(spec, {**ONE_CORE, "speed": faster})["seconds_per_step"] == pytest.approx(
        reference["seconds_per_step"] / 2, rel=1e-6
    )
    # Faster matmuls alone help SmolLM2 (compute-bound) far more than tiny-llama (dispatch-bound).
    only_matmul = {**est.REFERENCE_CPU_SPEED, "matmul_flops": 2 * est.REFERENCE_CPU_SPEED["matmul_flops"]}
    tiny = {**spec, "base_model": "tiny-llama"}
    gain = lambda s: est.estimate(s, ONE_CORE)["seconds_per_step"] / est.estimate(s, {**ONE_CORE, "speed": only_matmul})["seconds_per_step"]
    assert gain(spec) > 1.6 and gain(tiny) < 1.2
    # A nonsense measurement falls back to the reference instead of promising an absurd speed.
    assert est.estimate(spec, {**ONE_CORE, "speed": {"matmul_flops": 0, "dispatch_seconds": -1}})["seconds_per_step"] == (
        pytest.approx(reference["seconds_per_step"])
    )


def test_the_cpu_speed_measurement_is_quick_and_plausible():
    import time

    from tuneforge.training.hardware import detect_devices

    start = time.process_time()
    cpu = detect_devices(measure_cpu=True)[-1]
    assert time.process_time() - start < 5  # a worker pays this once at start-up
    # Any CPU that can train runs a 128x576x1536 matmul at 1-2000 GFLOP/s on one thread and a
    # tiny forward+backward in 5 µs-20 ms.
    assert 1e9 < cpu["speed"]["matmul_flops"] < 2e12
    assert 5e-6 < cpu["speed"]["dispatch_seconds"] < 0.02


# -- the arithmetic, on shapes alone -----------------------------------------------------------


def test_parameter_count_from_config_matches_the_real_models(model_cache):
    from transformers import AutoConfig, AutoModelForCausalLM

    config = json.loads((model_cache / "tiny-llama" / "config.json").read_text())
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_cache / "tiny-llama"))
    assert est.ModelShape.from_config(config).params == sum(p.numel() for p in model.parameters())
    # SmolLM2-135M-Instruct: 134,515,008 parameters (tied embeddings), counted from its shape.
    assert est.ModelShape.from_config(est.KNOWN_CONFIGS["SmolLM2-135M-Instruct"]).params == 134_515_008


def test_lora_parameter_count_matches_peft(model_cache):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_cache / "tiny-llama")
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    peft_model = get_peft_model(model, LoraConfig(r=8, target_modules=targets, task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    shape = est.ModelShape.from_config(json.loads((model_cache / "tiny-llama" / "config.json").read_text()))
    assert shape.lora_params(8, "auto") == trainable
    assert shape.lora_params(8, ["q_proj", "v_proj"]) < trainable


def _gpu(name: str, free_gib: float) -> dict:
    return {"type": "cuda", "name": name, "total_memory_bytes": int(free_gib * 2**30),
            "free_memory_bytes": int(free_gib * 2**30), "bf16": True}


SEVEN_B = {  # Llama-2-7B's shape
    "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
    "num_key_value_heads": 32, "vocab_size": 32000, "tie_word_embeddings": False,
}


def test_seven_b_full_fine_tune_does_not_fit_a_24gb_gpu_and_says_what_to_do():
    spec = {"adapter": "full", "data": {"max_length": 512}, "hyperparameters": {"batch_size": 1}}
    result = est.estimate(spec, _gpu("NVIDIA L4", 24), model_config=SEVEN_B, num_rows=1000)
    assert not result["fits"]
    assert result["message"].startswith("will not fit")
    # Full fine-tuning needs ~16 bytes per parameter before activations: > 100 GB for 7B.
    assert result["peak_memory_bytes"] > 100e9
    actions = [s["action"] for s in result["suggestions"]]
    assert {"use_lora", "gradient_checkpointing"} <= set(actions)
    assert "halve_batch" not in actions  # batch size 1 cannot be halved
    lora = next(s for s in result["suggestions"] if s["action"] == "use_lora")
    assert lora["fits"] and lora["message"].startswith("use LoRA")
    # The cheapest GPU on which the run fits as it is: 80 GB cards are too small, H200 is not.
    bigger = [s for s in result["suggestions"] if s["action"] == "bigger_gpu"]
    assert [b["gpu"] for b in bigger] == ["H200"] and "use an H200" in bigger[0]["message"]


def test_qlora_and_checkpointing_shrink_a_7b_run_until_it_fits():
    base = {"adapter": "lora", "data": {"max_length": 1024}, "hyperparameters": {"batch_size": 4}}
    gpu = _gpu("NVIDIA L4", 24)
    lora = est.estimate(base, gpu, model_config=SEVEN_B)
    qlora = est.estimate({**base, "adapter": "qlora"}, gpu, model_config=SEVEN_B)
    checkpointed = est.estimate(
        {**base, "adapter": "qlora", "hyperparameters": {"batch_size": 4, "gradient_checkpointing": True}},
        gpu,
        model_config=SEVEN_B,
    )
    assert lora["memory_breakdown_bytes"]["weights"] == pytest.approx(6.74e9 * 2, rel=0.02)  # bf16
    assert qlora["memory_breakdown_bytes"]["weights"] < 0.35 * lora["memory_breakdown_bytes"]["weights"]
    assert checkpointed["peak_memory_bytes"] < qlora["peak_memory_bytes"] < lora["peak_memory_bytes"]
    assert not lora["fits"] and checkpointed["fits"]
    assert "enable_qlora" in [s["action"] for s in lora["suggestions"]]
    # Checkpointing recomputes the forward pass: slower per step.
    assert checkpointed["seconds_per_step"] > qlora["seconds_per_step"]


def test_time_total_and_cost_from_the_dataset_size():
    spec = {"data": {"max_length": 512}, "hyperparameters": {"batch_size": 4, "gradient_accumulation": 2, "epochs": 2}}
    result = est.estimate(spec, _gpu("NVIDIA A100-SXM4-80GB", 80), model_config=SEVEN_B, num_rows=800)
    assert result["total_steps"] == 200  # 800 rows / (4 x 2) x 2 epochs
    assert result["total_seconds"] == pytest.approx(result["seconds_per_step"] * 200, rel=1e-3)
    assert result["cost_usd"] == pytest.approx(result["total_seconds"] / 3600 * GPU_TYPES["A100-80GB"].usd_per_hour, rel=0.01)


def test_estimate_reads_config_json_without_loading_weights(model_cache):
    spec = {"base_model": "tiny-llama", "model_cache_dir": str(model_cache), "data": {"max_length": 64}}
    result = est.estimate(spec, ONE_CORE, num_rows=100)
    assert result["fits"] and result["suggestions"] is not None
    assert result["parameters"] == est.ModelShape.from_config(
        json.loads((model_cache / "tiny-llama" / "config.json").read_text())
    ).params
    with pytest.raises(ValueError, match="no config.json"):
        est.estimate({"base_model": "org/not-here", "data": {}}, ONE_CORE)


def test_known_shapes_match_the_built_models(model_cache):
    config = json.loads((model_cache / "tiny-llama" / "config.json").read_text())
    assert est.ModelShape.from_config(est.KNOWN_CONFIGS["tiny-llama"]) == est.ModelShape.from_config(config)


def test_detected_cpu_can_be_estimated_for():
    from tuneforge.training.hardware import detect_devices

    devices = detect_devices()
    cpu = devices[-1]
    assert cpu["type"] == "cpu" and cpu["can_train"]
    assert cpu["cores"] >= 1 and cpu["total_memory_bytes"] >= cpu["free_memory_bytes"] > 0
    assert all(d["type"] in ("cuda", "mps") for d in devices[:-1])
    result = est.estimate({"base_model": "tiny-llama", "data": {"max_length": 64}}, cpu, num_rows=10)
    assert result["fits"] and result["available_memory_bytes"] == cpu["free_memory_bytes"]


# -- phases: the whole run, not only its steps ------------------------------------------------------


SMOLLM2_200_STEPS = {
    "base_model": "SmolLM2-135M-Instruct", "data": {"max_length": 512},
    "hyperparameters": {"batch_size": 4, "max_steps": 200},
}


def _phases(result: dict) -> dict[str, float]:
    return {p["name"]: p["seconds"] for p in result["phases"]}


@pytest.mark.parametrize("model", ["tiny-llama", "SmolLM2-135M-Instruct"])
@pytest.mark.parametrize("device", [ONE_CORE, _gpu("NVIDIA A100-SXM4-80GB", 80)], ids=["cpu", "a100"])
def test_every_phase_is_estimated_and_they_sum_to_the_total_inside_its_range(model, device):
    spec = {"base_model": model, "data": {"max_length": 128}, "hyperparameters": {"batch_size": 4, "max_steps": 10}}
    result = est.estimate(spec, device, num_rows=90, num_eval_rows=10)
    assert [p["name"] for p in result["phases"]] == list(est.PHASE_ORDER)
    assert all(p["seconds"] >= 0 and p["label"] for p in result["phases"])
    assert sum(_phases(result).values()) == pytest.approx(result["wall_seconds"], abs=0.05)
    assert result["wall_seconds_low"] <= result["wall_seconds"] <= result["wall_seconds_high"]
    assert result["wall_seconds_low"] < result["wall_seconds_high"]
    low, high = result["range_factors"]["low"], result["range_factors"]["high"]
    assert result["wall_seconds_high"] == pytest.approx(result["wall_seconds"] * high, abs=0.1)
    assert result["wall_seconds_low"] == pytest.approx(result["wall_seconds"] * low, abs=0.1)
    assert result["startup_seconds"] == _phases(result)["startup"]
    # The steps are still there, as before.
    assert _phases(result)["training"] >= result["total_seconds"]


def test_phases_follow_the_model_the_data_and_the_evaluation():
    tiny = {"base_model": "tiny-llama", "data": {"max_length": 128}, "hyperparameters": {"batch_size": 4, "max_steps": 10}}
    smol = {**tiny, "base_model": "SmolLM2-135M-Instruct"}
    t, s = _phases(est.estimate(tiny, ONE_CORE, num_rows=90, num_eval_rows=10)), _phases(est.estimate(smol, ONE_CORE, num_rows=90, num_eval_rows=10))
    # Loading: 150 kB and a 512-entry vocabulary against 538 MB and 49k entries.
    assert t["loading_model"] < 0.3 < s["loading_model"]
    assert t["evaluating"] * 5 < s["evaluating"] and t["saving"] < s["saving"]
    # Tokenising grows with the rows; evaluation with the samples generated and their length.
    assert _phases(est.estimate(tiny, ONE_CORE, num_rows=9000, num_eval_rows=1000))["tokenizing"] > 20 * t["tokenizing"]
    more = {**smol, "eval": {"generation_samples": 16, "max_new_tokens": 256}}
    assert _phases(est.estimate(more, ONE_CORE, num_rows=90, num_eval_rows=20))["evaluating"] > 2 * s["evaluating"]
    no_base = {**smol, "eval": {"compare_base": False}}
    assert _phases(est.estimate(no_base, ONE_CORE, num_rows=90, num_eval_rows=10))["evaluating"] < s["evaluating"]
    assert _phases(est.estimate({**smol, "eval": {"enabled": False}, "data": {"max_length": 128, "validation_split": 0}},
                                ONE_CORE, num_rows=100, num_eval_rows=0))["evaluating"] == 0
    # Full weights take longer to save than an adapter.
    full = _phases(est.estimate({**smol, "adapter": "full"}, ONE_CORE, num_rows=90, num_eval_rows=10))
    assert full["saving"] > 5 * s["saving"]


def test_gpu_estimates_scale_with_each_gpus_throughput_and_modal_adds_a_container_start():
    def on(gpu: str, executor: str = "modal") -> dict:
        return est.estimate(SMOLLM2_200_STEPS, GPU_TYPES[gpu].as_device(), num_rows=800, num_eval_rows=80, executor=executor)

    t4, a100, h100 = on("T4"), on("A100-80GB"), on("H100")
    assert t4["wall_seconds"] > a100["wall_seconds"] > h100["wall_seconds"]
    for phase in ("training", "evaluating"):  # what runs on the GPU
        assert _phases(t4)[phase] > _phases(a100)[phase] > _phases(h100)[phase]
    for phase in ("startup", "loading_model", "tokenizing"):  # the container, the host, the disk
        assert _phases(t4)[phase] == _phases(h100)[phase]
    # Start-up: a Modal container before the trainer starts; a local GPU worker only starts the trainer.
    local = est.estimate(SMOLLM2_200_STEPS, GPU_TYPES["H100"].as_device(), num_rows=800, num_eval_rows=80)
    assert _phases(h100)["startup"] - _phases(local)["startup"] == pytest.approx(est.MODAL_CONTAINER_START_S, abs=0.1)
    assert _phases(local)["startup"] > _phases(est.estimate(SMOLLM2_200_STEPS, ONE_CORE, num_rows=800))["startup"]  # CUDA
    # Modal builds bundled models in the container: SmolLM2 is converted from its GGUF every run.
    assert _phases(h100)["loading_model"] > _phases(local)["loading_model"] + 30


def test_no_steps_no_wall_time():
    result = est.estimate({"base_model": "tiny-llama", "data": {}}, ONE_CORE)
    assert result["total_steps"] is None and "phases" not in result and "wall_seconds" not in result


def test_a_batch_given_in_tokens_is_estimated_as_the_rows_it_can_hold():
    """batch_tokens 2048 at max length 512 holds at most four 512-token rows: the same memory as
    batch_size 4, and half that of batch_tokens 4096."""
    gpu = _gpu("NVIDIA L4", 24)
    rows = est.estimate({"data": {"max_length": 512}, "hyperparameters": {"batch_size": 4}}, gpu, model_config=SEVEN_B)
    tokens = est.estimate({"data": {"max_length": 512}, "hyperparameters": {"batch_tokens": 2048}}, gpu,
                          model_config=SEVEN_B)
    more = est.estimate({"data": {"max_length": 512}, "hyperparameters": {"batch_tokens": 4096}}, gpu,
                        model_config=SEVEN_B)
    assert tokens["memory_breakdown_bytes"]["activations"] == rows["memory_breakdown_bytes"]["activations"]
    assert more["memory_breakdown_bytes"]["activations"] == 2 * tokens["memory_breakdown_bytes"]["activations"]
