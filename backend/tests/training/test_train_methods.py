"""Every sensible method x adapter pair really trains tiny-llama a few steps on CPU, and the
test checks that it learned (loss fell, or the preference margin / reward rose) and that the
saved adapter or weights differ from where they started."""

from __future__ import annotations

import json

import pytest
from conftest import mean, metric_series, train
from safetensors.torch import load_file

# (method, adapter, data file, learning rate, steps, extra spec fields)
CASES = [
    ("sft", "lora", "chat.jsonl", 1e-2, 8, {}),
    ("sft", "full", "pc.jsonl", 3e-3, 8, {}),
    ("sft", "qlora", "chat.jsonl", 1e-2, 6, {}),
    ("cpt", "lora", "text.jsonl", 1e-2, 8, {"data": {"packing": True}}),
    ("cpt", "full", "text.jsonl", 3e-3, 8, {}),
    ("dpo", "lora", "pref.jsonl", 1e-2, 10, {}),
    ("dpo", "full", "pref.jsonl", 1e-3, 10, {}),
    ("orpo", "lora", "pref.jsonl", 1e-2, 8, {}),
    ("kto", "lora", "kto.jsonl", 1e-2, 10, {}),
    ("simpo", "lora", "pref.jsonl", 1e-2, 8, {}),
    ("cpo", "full", "pref.jsonl", 3e-3, 8, {}),
    ("reward", "lora", "pref.jsonl", 1e-2, 8, {}),
    ("reward", "full", "pref.jsonl", 1e-3, 8, {}),
    # GRPO: the tiny model learns to put a digit in its 8-token completions (16 samples/step).
    (
        "grpo",
        "full",
        "pc.jsonl",
        1e-2,
        12,
        {
            "grpo": {"num_generations": 8, "max_completion_length": 8,
                     "rewards": [{"kind": "regex", "pattern": ".*[0-9].*"}]},
            "hyperparameters": {"batch_size": 16},
        },
    ),
]


def _changed(result, model_cache, adapter: str, method: str) -> bool:
    out = result.output_dir
    if adapter in ("lora", "qlora") and method != "reward":
        tensors = load_file(out / "adapter_model.safetensors")
        # LoRA's B matrices start at zero: any non-zero B means the adapter learned something.
        return any(t.abs().sum() > 0 for name, t in tensors.items() if "lora_B" in name)
    base = load_file(model_cache / "tiny-llama" / "model.safetensors")
    trained = load_file(out / "model.safetensors")
    shared = [k for k in trained if k in base and trained[k].shape == base[k].shape]
    assert shared, "no weights in common with the base"
    return any(not trained[k].float().allclose(base[k].float()) for k in shared)


@pytest.mark.parametrize(
    ("method", "adapter", "data", "lr", "steps", "extra"),
    CASES,
    ids=[f"{c[0]}-{c[1]}" for c in CASES],
)
def test_method_trains(make_spec, model_cache, method, adapter, data, lr, steps, extra):
    extra = json.loads(json.dumps(extra))
    hp = {"max_steps": steps, "learning_rate": lr, **extra.pop("hyperparameters", {})}
    spec = make_spec(method, adapter, data, hyperparameters=hp, **extra)
    result, sink = train(spec)
    assert result.status == "finished", result.error

    started = sink.of_type("started")[0]
    assert started["trainable_parameters"] > 0
    if adapter != "full":
        assert started["trainable_parameters"] < started["total_parameters"]
    losses = metric_series(sink, "loss")
    assert len(losses) == steps

    if method == "grpo":
        rewards = metric_series(sink, "reward")
        assert mean(rewards[-4:]) > mean(rewards[:4]) + 0.1, rewards
    elif method == "reward":
        margins = metric_series(sink, "margin")
        assert mean(margins[-3:]) > margins[0], margins
        assert mean(losses[-3:]) < losses[0], losses
    elif method in ("dpo", "kto"):
        # Both start exactly at their no-preference value (ln 2 / 0.5) and go down from there.
        assert mean(losses[1:]) < losses[0], losses
        assert mean(metric_series(sink, "rewards/margins")[-4:]) > 0
    else:
        assert mean(losses[-2:]) < mean(losses[:2]), losses

    assert _changed(result, model_cache, adapter, method)
    out = result.output_dir
    assert (out / "tokenizer.json").exists() and (out / "chat_template.jinja").exists()
    assert json.loads((out / "spec.json").read_text())["method"] == method
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == steps
    assert (out / "README.md").exists()
    finished = sink.of_type("finished")[0]
    assert finished["step"] == steps
    assert all({"type", "time"} <= set(e) for e in sink.events)
    assert all("step" in e for e in sink.events if e["type"] in ("metric", "eval", "checkpoint", "finished"))
