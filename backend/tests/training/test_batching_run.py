"""data.batching in a run: the choice, its reason and the share of real tokens in the job's
first events; the deprecated data.packing mapped per method; what the spec refuses."""

from __future__ import annotations

import random

import pytest
from conftest import train, write_jsonl

from test_packing_equal import variable_rows
from tuneforge.training.exceptions import SpecError
from tuneforge.training.batching import real_token_fraction
from tuneforge.training.spec import check_spec, requested_batching


@pytest.fixture(scope="module")
def variable_chat(tmp_path_factory):
    return write_jsonl(tmp_path_factory.mktemp("variable") / "chat.jsonl", variable_rows(96, seed=21))


def _batching(sink) -> dict:
    [event] = [e for e in sink.of_type("log") if e.get("kind") == "batching"]
    [started] = sink.of_type("started")
    assert started["batching"] == event["batching"]
    assert isinstance(started["tokenize_seconds"], float)
    return event


@pytest.mark.parametrize("batching", ["auto", "packed", "length_grouped", "plain"])
def test_the_run_says_which_batching_why_and_how_much_is_real(make_spec, variable_chat, batching):
    spec = make_spec(
        data={"sources": [{"path": str(variable_chat)}], "max_length": 128, "batching": batching},
        hyperparameters={"max_steps": 3, "batch_size": 8},
    )
    result, sink = train(spec)
    assert result.status == "finished", sink.of_type("failed")
    event = _batching(sink)
    report = event["batching"]
    chosen = report["batching"]
    if batching == "auto":
        assert chosen in ("packed", "length_grouped", "plain")
        # The fastest, or plain random batches when the others would save under 10% (batching.MIN_SPEEDUP).
        assert "modelled fastest" in report["reason"] or (
            chosen == "plain" and report["reason"].startswith("plain random batches") and "would save only" in report["reason"])
        assert {c["batching"] for c in report["candidates"]} == {"packed", "length_grouped", "plain"}
        assert min(c["relative_time"] for c in report["candidates"]) == 1.0
    else:
        assert chosen == batching and report["reason"] == "asked for in the spec"
    fraction = report["real_token_fraction"]
    assert f"{fraction:.0%} of the computed tokens are real" in event["message"]
    if chosen in ("packed", "length_grouped"):
        assert fraction >= 0.9
    else:
        assert fraction < 0.8  # random batches of 3-80-token rows pad a lot
    assert all(isinstance(m["loss"], float) for m in sink.of_type("metric"))


def test_deprecated_packing_means_packed_for_sft_with_a_warning(make_spec, variable_chat):
    spec = make_spec(data={"sources": [{"path": str(variable_chat)}], "max_length": 128, "packing": True},
                     hyperparameters={"max_steps": 2})
    assert requested_batching(spec)[0] == "packed"
    result, sink = train(spec)
    assert result.status == "finished"
    assert _batching(sink)["batching"]["batching"] == "packed"
    [warning] = [e for e in sink.of_type("log") if e.get("kind") == "deprecated_option"]
    assert "data.packing is deprecated" in warning["message"] and "data.batching" in warning["message"]


def test_deprecated_packing_means_concatenate_for_cpt(make_spec):
    spec = make_spec("cpt", data_file="text.jsonl", data={"packing": True})
    assert requested_batching(spec) == ("concatenate", requested_batching(spec)[1])
    assert "concatenate" in requested_batching(spec)[1]


@pytest.mark.parametrize(
    ("method", "data_file", "batching", "message"),
    [
        ("sft", "chat.jsonl", "concatenate", "applies to cpt only"),
        ("dpo", "pref.jsonl", "packed", "batching 'packed' does not apply to dpo"),
        ("grpo", "pref.jsonl", "length_grouped", "batching 'length_grouped' does not apply to grpo"),
    ],
)
def test_batchings_that_do_not_apply_are_refused(make_spec, method, data_file, batching, message):
    spec = make_spec(method, data_file=data_file, data={"batching": batching})
    with pytest.raises(SpecError) as exc:
        check_spec(spec)
    assert message in str(exc.value)


def test_a_second_run_reads_the_tokenisation_cache(make_spec, variable_chat, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEFORGE_TOKEN_CACHE", str(tmp_path / "tokenized"))

    def run(name, **data):
        spec = make_spec(data={"sources": [{"path": str(variable_chat)}], "max_length": 128, **data},
                         hyperparameters={"max_steps": 2}, output_dir=str(tmp_path / name))
        result, sink = train(spec)
        assert result.status == "finished"
        [started] = sink.of_type("started")
        return started["tokenization"], [m["loss"] for m in sink.of_type("metric")], _batching(sink)["message"]

    first, losses, _ = run("a")
    second, again, message = run("b")
    assert (first["cache"], second["cache"]) == ("miss", "hit") and first["key"] == second["key"]
    assert "read from the tokenisation cache" in message
    assert again == losses  # the same examples, the same training
    other, _, _ = run("c", max_length=96)  # another max length: other tokens, another entry
    assert other["cache"] == "miss" and other["key"] != first["key"]


def test_gradient_checkpointing_is_switched_on_only_when_memory_is_the_limit(make_spec):
    from tuneforge.training.event_stream import EventSink
    from tuneforge.training.runner import _checkpoint_when_memory_is_the_limit

    spec = make_spec()
    fix = {"action": "gradient_checkpointing", "fits": True, "message": "enable gradient checkpointing: peak 9.5 GiB",
           "peak_memory_bytes": int(9.5 * 2**30)}
    sink = EventSink()
    fits = _checkpoint_when_memory_is_the_limit(spec, {"fits": True, "suggestions": [fix]}, sink)
    assert fits.hyperparameters.gradient_checkpointing is False and not sink.events
    tight = {"fits": False, "peak_memory_gib": 14.2, "suggestions": [fix]}
    checkpointed = _checkpoint_when_memory_is_the_limit(spec, tight, sink)
    assert checkpointed.hyperparameters.gradient_checkpointing is True
    assert tight["fits"] is True and tight["gradient_checkpointing"] == "auto"  # the estimate knows
    [event] = sink.events
    assert event["kind"] == "gradient_checkpointing" and "memory is the limit" in event["message"]
    hopeless = {"fits": False, "suggestions": [dict(fix, fits=False)]}
    assert _checkpoint_when_memory_is_the_limit(spec, hopeless, EventSink()).hyperparameters.gradient_checkpointing is False


def _preference_rows(n: int, seed: int) -> list[dict]:
    """Prompts of 1-60 words, answers of 1-12: random batches of these pad a lot."""
    rng = random.Random(seed)
    words = ["apple", "pear", "plum", "cat", "dog", "cow", "horse", "red", "green", "blue"]

    def say(low: int, high: int) -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(low, high)))

    return [{"prompt": say(1, 60), "chosen": say(1, 12), "rejected": say(1, 12)} for _ in range(n)]


def _dpo_batches(make_spec, tmp_path, batching: str):
    """The batching report and the attention masks of one epoch of the batches a DPO run's trainer
    forms (built as the runner builds it, without training)."""
    from tuneforge.training.context import RunContext
    from tuneforge.training.loading import load_tokenizer, resolve_base_model
    from tuneforge.training.methods import method_module
    from tuneforge.training.runner import load_model, trainer_arguments

    rows = _preference_rows(64, seed=5)
    spec = make_spec("dpo", data_file="pref.jsonl", data={"max_length": 128, "batching": batching},
                     hyperparameters={"batch_size": 4}, output_dir=str(tmp_path / batching))
    path = resolve_base_model(spec.base_model, spec.model_cache_dir)
    tokenizer, _, added = load_tokenizer(path)
    ctx = RunContext(
        spec=spec, data_kind="preference", tokenizer=tokenizer,
        model=load_model(spec, path, tokenizer, added, "fp32", "cpu"), train_rows=rows, eval_rows=[],
        args=trainer_arguments(spec, tmp_path / batching / "checkpoints", "fp32", "cpu", False), callbacks=[],
        base_model_path=path, device="cpu", precision="fp32",
    )
    trainer = method_module("dpo").build_trainer(ctx)
    masks = [batch["attention_mask"] for batch in trainer.get_train_dataloader()]
    return ctx.extras["batching"], masks


def _real_share(masks) -> float:
    return sum(int(m.sum()) for m in masks) / sum(m.numel() for m in masks)


def test_a_dpo_run_batches_pairs_of_similar_length(make_spec, tmp_path):
    """DPO cannot pack (each pair is scored whole), so its rows are length-grouped by default: the
    batches the trainer forms hold little padding, and the job's first events say so."""
    grouped, grouped_masks = _dpo_batches(make_spec, tmp_path, "auto")
    plain, plain_masks = _dpo_batches(make_spec, tmp_path, "plain")
    assert grouped["batching"] == "length_grouped" and "dpo trains on whole examples" in grouped["reason"]
    assert plain["batching"] == "plain"
    # every pair once per epoch, chosen and rejected side by side: 2 x 64 rows either way
    assert sum(m.shape[0] for m in grouped_masks) == sum(m.shape[0] for m in plain_masks) == 128
    measured, measured_plain = _real_share(grouped_masks), _real_share(plain_masks)
    assert measured >= 0.85 and measured_plain < measured - 0.15
    assert grouped["real_token_fraction"] >= 0.9 and grouped["plain_real_token_fraction"] < 0.8
    # the longest batch comes first, so an out-of-memory error shows at the first step
    assert grouped_masks[0].shape[1] == max(m.shape[1] for m in grouped_masks)


def test_batches_filled_up_to_a_token_budget():
    from tuneforge.training.batching import TokenBudgetBatchSampler, token_budget_batches

    lengths = [random.Random(i).randint(3, 300) for i in range(500)]
    batches = token_budget_batches(lengths, 1024, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(500))  # every row once
    assert all(len(b) * max(lengths[i] for i in b) <= 1024 for b in batches)
    assert real_token_fraction(lengths, batches) >= 0.9
    assert len({len(b) for b in batches}) > 3  # short rows fill a batch with more of them
    sampler = TokenBudgetBatchSampler(lengths, 1024, seed=3)
    first, second = list(sampler), list(sampler)
    assert len(first) == len(second) == len(sampler) and first != second  # reshuffled, same steps per epoch
    assert max(lengths[i] for i in first[0]) == max(lengths)  # the longest batch first


@pytest.mark.parametrize(
    ("hyperparameters", "data", "message"),
    [
        ({"batch_tokens": 512, "batch_size": 16}, {}, "the batch size is given twice"),
        ({"batch_tokens": 100}, {"max_length": 128}, "batch_tokens (100) is smaller than data.max_length (128)"),
        ({"batch_tokens": 512}, {"batching": "plain"}, "batch_tokens forms batches by length"),
    ],
)
def test_a_token_budget_is_checked(make_spec, hyperparameters, data, message):
    # make_spec sets batch_size 8; a spec that gives only tokens holds the default, 4
    spec = make_spec(hyperparameters={"batch_size": 4, **hyperparameters}, data=data)
    with pytest.raises(SpecError) as exc:
        check_spec(spec)
    assert message in str(exc.value)


def test_dpo_refuses_a_token_budget(make_spec):
    spec = make_spec("dpo", data_file="pref.jsonl", hyperparameters={"batch_size": 4, "batch_tokens": 512})
    with pytest.raises(SpecError) as exc:
        check_spec(spec)
    assert "batch_tokens applies to sft and cpt, not dpo" in str(exc.value)


def test_a_run_with_a_token_budget(make_spec, variable_chat):
    """An SFT run given batch_tokens: batches of varying rows, each within the budget, little padding."""
    spec = make_spec(data={"sources": [{"path": str(variable_chat)}], "max_length": 128, "batching": "length_grouped"},
                     hyperparameters={"max_steps": 3, "batch_size": 4, "batch_tokens": 512})
    check_spec(spec)
    result, sink = train(spec)
    assert result.status == "finished", sink.of_type("failed")
    report = _batching(sink)["batching"]
    assert report["batching"] == "length_grouped" and report["batch_tokens"] == 512
    assert report["real_token_fraction"] >= 0.9
    assert report["rows_per_batch_mean"] > 4  # more rows than 512 // 128 when rows are short
    assert len(sink.of_type("metric")) >= 3
