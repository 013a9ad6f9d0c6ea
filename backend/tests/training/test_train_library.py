"""Library surface: capabilities(), events, base-model resolution, spec files, data mixing."""

from __future__ import annotations

import io
import json
import os

import pytest
from conftest import train

from tuneforge.training import capabilities
from tuneforge.training.data import load_splits
from tuneforge.training.event_stream import EventSink, read_events
from tuneforge.training.loading import build_tiny_llama, resolve_base_model
from tuneforge.training.spec import TrainingSpec


def test_capabilities_say_what_runs_here_and_why_not():
    caps = capabilities()
    assert set(caps["methods"]) == {"sft", "cpt", "dpo", "orpo", "kto", "simpo", "cpo", "grpo", "reward"}
    assert caps["methods"]["kto"]["data_kinds"] == ["unpaired_preference"]
    assert caps["providers"]["hf"]["available"]
    import torch

    if not torch.cuda.is_available():
        assert not caps["providers"]["unsloth"]["available"]
        assert "GPU" in caps["providers"]["unsloth"]["reason"]
        assert caps["providers"]["auto"]["resolves_to"] == "hf"
    json.dumps(caps)  # served as JSON by /api/info


def test_event_sink_writes_one_flushed_json_line_per_event():
    stream = io.StringIO()
    sink = EventSink(stream=stream)
    sink.emit("metric", step=1, loss=float("nan"), extra={"a": 1.5})
    sink.log("hello")
    events = read_events(stream.getvalue())
    assert [e["type"] for e in events] == ["metric", "log"]
    assert events[0]["loss"] is None and events[0]["step"] == 1  # NaN is not valid JSON
    with pytest.raises(ValueError):
        sink.emit("bogus")


def test_tiny_llama_is_built_once_and_deterministic(model_cache, tmp_path):
    path = model_cache / "tiny-llama"
    assert resolve_base_model("tiny-llama", model_cache) == path
    mtime = os.path.getmtime(path / "model.safetensors")
    assert build_tiny_llama(path) == path and os.path.getmtime(path / "model.safetensors") == mtime
    other = build_tiny_llama(tmp_path / "again")
    assert (other / "model.safetensors").read_bytes() == (path / "model.safetensors").read_bytes()
    assert (other / "tokenizer.json").read_text() == (path / "tokenizer.json").read_text()


def test_a_finished_lora_run_is_a_base_model_for_the_next_stage(make_spec, model_cache, tmp_path):
    first, _ = train(make_spec("cpt", "lora", "text.jsonl", hyperparameters={"max_steps": 2}))
    assert first.status == "finished"
    merged = resolve_base_model(str(first.output_dir), model_cache)
    assert (merged / "config.json").exists()
    second, sink = train(
        make_spec("sft", "lora", base_model=str(first.output_dir), hyperparameters={"max_steps": 2},
                  output_dir=str(tmp_path / "stage2"))
    )
    assert second.status == "finished", second.error
    assert sink.of_type("started")[0]["base_model_path"] == str(merged)


def test_spec_files_resolve_relative_paths(tmp_path, data_dir):
    (tmp_path / "data.jsonl").write_text((data_dir / "chat.jsonl").read_text())
    (tmp_path / "spec.yaml").write_text(
        "method: sft\nadapter: lora\ndata:\n  - path: data.jsonl\n    weight: 2\noutput_dir: runs/one\n"
    )
    spec = TrainingSpec.from_file(tmp_path / "spec.yaml")
    assert spec.data.sources[0].path == str(tmp_path / "data.jsonl")
    assert spec.data.sources[0].weight == 2
    assert spec.output_dir == str(tmp_path / "runs" / "one")
    assert spec.base_model == "tiny-llama"


def test_mixing_weights_set_each_files_share(tmp_path, make_spec):
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    a.write_text("".join(json.dumps({"text": f"a{i}"}) + "\n" for i in range(100)))
    b.write_text("".join(json.dumps({"text": f"b{i}"}) + "\n" for i in range(20)))
    spec = make_spec("cpt", "lora", "text.jsonl")
    raw = spec.model_dump()
    raw["data"]["sources"] = [{"path": str(a), "weight": 9}, {"path": str(b), "weight": 1}]
    train_rows, eval_rows = load_splits(TrainingSpec.model_validate(raw))
    share_b = sum(r["text"].startswith("b") for r in train_rows) / len(train_rows)
    assert share_b == pytest.approx(0.1, abs=0.02)
    held = {r["text"] for r in eval_rows}
    assert held and not held & {r["text"] for r in train_rows}  # held-out rows never trained on


def test_a_trained_reward_model_scores_grpo_completions(make_spec, tmp_path):
    reward, _ = train(make_spec("reward", "lora", "pref.jsonl", hyperparameters={"max_steps": 2, "batch_size": 4},
                                output_dir=str(tmp_path / "rm")))
    assert reward.status == "finished"
    assert (reward.output_dir / "model.safetensors").exists()  # saved whole, ready to score
    spec = make_spec(
        "grpo", "lora", "pc.jsonl",
        hyperparameters={"max_steps": 2, "batch_size": 4},
        grpo={"num_generations": 4, "max_completion_length": 6,
              "rewards": [{"kind": "length", "target_length": 10}], "reward_model": str(reward.output_dir)},
        output_dir=str(tmp_path / "grpo"),
    )
    result, sink = train(spec)
    assert result.status == "finished", result.error
    metric = sink.of_type("metric")[-1]
    assert "rewards/length_target/mean" in metric
    assert sum(k.startswith("rewards/") and k.endswith("/mean") for k in metric) == 2  # length + reward model
