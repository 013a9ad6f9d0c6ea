"""Invalid specs are refused before a model loads, with reason and fix; out-of-memory is reported
as such (with the hint) or retried with half the micro-batch when the spec allows it."""

from __future__ import annotations

import pytest
from conftest import metric_series, train
from pydantic import ValidationError

from tuneforge.training.exceptions import DatasetError, SpecError
from tuneforge.training.spec import Target, TrainingSpec, check_spec


@pytest.mark.parametrize(
    ("method", "adapter", "data_file", "extra", "reason", "fix"),
    [
        ("kto", "lora", "pref.jsonl", {}, "KTO needs labelled completions", "use dpo, orpo"),
        ("dpo", "lora", "chat.jsonl", {}, "DPO needs preference pairs", "Use sft"),
        ("sft", "lora", "text.jsonl", {}, "this dataset is raw text", "Use cpt"),
        ("cpt", "full", "chat.jsonl", {}, "CPT needs raw text", "Use sft"),
        ("dpo", "lora", "pref.jsonl", {"data": {"packing": True}}, "packing applies to sft and cpt", "packing: false"),
        ("sft", "lora", "chat.jsonl", {"provider": "unsloth"}, "needs an NVIDIA GPU", "provider 'hf'"),
        ("sft", "full", "chat.jsonl", {"merge_adapter": True}, "needs an adapter to merge", "merge_adapter: false"),
        ("reward", "qlora", "pref.jsonl", {}, "QLoRA reward models are not supported", "adapter 'lora'"),
        ("grpo", "lora", "pc.jsonl", {"hyperparameters": {"batch_size": 6}}, "multiple of num_generations",
         "batch_size to 4"),
        ("sft", "lora", "chat.jsonl", {"hyperparameters": {"early_stopping_patience": 2}},
         "needs periodic evaluation", "eval_steps"),
    ],
)
def test_invalid_combinations_are_refused_before_loading(make_spec, method, adapter, data_file, extra, reason, fix):
    import torch

    spec = make_spec(method, adapter, data_file, **extra)
    # A base model that does not exist proves the refusal happens before any loading.
    spec = spec.model_copy(update={"base_model": "/nonexistent/model"})
    # A standard worker without a GPU: the refusal for such a target, whatever this machine has.
    with pytest.raises(SpecError) as info:
        check_spec(spec, target=Target.standard_worker(cuda=False))
    assert reason.lower() in info.value.message.lower()
    assert fix.lower() in info.value.hint.lower()

    if extra.get("provider") == "unsloth" and torch.cuda.is_available():
        return  # here unsloth can run, so a real run is not refused (test_train_gpu covers it)
    result, sink = train(spec)
    assert result.status == "failed"
    [failed] = sink.of_type("failed")
    assert failed["kind"] == "configuration" and failed["hint"]
    assert not sink.of_type("started")


def test_bf16_refused_on_cpu(make_spec):
    spec = make_spec(hyperparameters={"precision": "bf16"})
    with pytest.raises(SpecError, match="needs a CUDA GPU"):
        check_spec(spec, target=Target.standard_worker(cuda=False))
    # a CUDA target takes it: no refusal
    assert check_spec(spec, target=Target.standard_worker(cuda=True))["provider"] in ("hf", "unsloth")


def test_unknown_fields_and_values_are_rejected(make_spec):
    raw = make_spec().model_dump()
    with pytest.raises(ValidationError):
        TrainingSpec.model_validate({**raw, "method": "ppo"})
    with pytest.raises(ValidationError):
        TrainingSpec.model_validate({**raw, "learning_rate": 1e-4})  # belongs under hyperparameters


def test_bad_dataset_is_a_dataset_error(make_spec, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "a"}\n')
    spec = make_spec()
    spec = spec.model_copy(update={"data": spec.data.model_copy(update={"sources": [{"path": str(bad)}]})})
    spec = TrainingSpec.model_validate(spec.model_dump())
    with pytest.raises(DatasetError, match="unrecognised row"):
        check_spec(spec)
    result, sink = train(spec)
    assert sink.of_type("failed")[0]["kind"] == "dataset"


def test_presets_fill_only_what_is_not_set(make_spec):
    raw = make_spec().model_dump()
    raw["preset"] = "quality"
    raw["hyperparameters"] = {"learning_rate": 1e-3}
    spec = TrainingSpec.model_validate(raw)
    assert spec.hyperparameters.epochs == 3 and spec.hyperparameters.scheduler == "cosine"
    assert spec.learning_rate == 1e-3


def test_forced_out_of_memory_is_reported_with_the_hint(make_spec):
    spec = make_spec(debug={"force_oom_when_batch_above": 2})
    result, sink = train(spec)
    assert result.status == "failed"
    [failed] = sink.of_type("failed")
    assert failed["kind"] == "out_of_memory"
    assert "batch_size" in failed["hint"] and "auto_oom_retry" in failed["hint"]
    assert "out of memory" in failed["message"]


def test_out_of_memory_retries_with_half_the_batch_when_allowed(make_spec):
    spec = make_spec(
        auto_oom_retry=True,
        debug={"force_oom_when_batch_above": 2},
        hyperparameters={"batch_size": 8, "gradient_accumulation": 1, "max_steps": 3},
    )
    result, sink = train(spec)
    assert result.status == "finished", result.error
    retries = [e for e in sink.of_type("log") if e.get("kind") == "out_of_memory_retry"]
    assert len(retries) == 2  # 8 -> 4 -> 2
    assert "batch size 2 and gradient accumulation 4" in retries[-1]["message"]
    assert result.metrics["effective_hyperparameters"]["batch_size"] == 2
    assert result.metrics["effective_hyperparameters"]["gradient_accumulation"] == 4
    assert len(metric_series(sink, "loss")) == 3
