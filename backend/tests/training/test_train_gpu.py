"""GPU-only paths. Skipped, with the reason shown, where there is no CUDA device
(`make test-gpu` / the lent GPU machine runs them)."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import mean, metric_series, train

torch = pytest.importorskip("torch")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU; this machine has none")

pytestmark = [pytest.mark.gpu, needs_cuda]


def test_auto_precision_is_bf16_on_ampere_and_trains(make_spec):
    result, sink = train(make_spec("sft", "lora", hyperparameters={"max_steps": 8, "learning_rate": 1e-2}))
    assert result.status == "finished", result.error
    started = sink.of_type("started")[0]
    expected = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    assert started["precision"] == expected and started["device"]["type"] == "cuda"
    losses = metric_series(sink, "loss")
    assert mean(losses[-2:]) < mean(losses[:2])
    assert sink.of_type("metric")[-1]["memory_mb"] > 0


def test_qlora_on_cuda_trains(make_spec):
    result, sink = train(make_spec("sft", "qlora", hyperparameters={"max_steps": 8, "learning_rate": 1e-2}))
    assert result.status == "finished", result.error
    losses = metric_series(sink, "loss")
    assert mean(losses[-2:]) < mean(losses[:2])


@pytest.mark.skipif(
    torch.cuda.is_available() and importlib.util.find_spec("unsloth") is None, reason="unsloth is not installed"
)
def test_unsloth_provider_trains(make_spec):
    result, sink = train(
        make_spec("sft", "lora", provider="unsloth", hyperparameters={"max_steps": 8, "learning_rate": 1e-2})
    )
    assert result.status == "finished", result.error
    assert sink.of_type("started")[0]["provider"] == "unsloth"
