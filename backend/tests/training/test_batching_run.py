"""data.batching in a run: the choice, its reason and the share of real tokens in the job's
first events; the deprecated data.packing mapped per method; what the spec refuses."""

from __future__ import annotations

import pytest
from conftest import train, write_jsonl

from test_packing_equal import variable_rows
from tuneforge.training.exceptions import SpecError
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
        assert "modelled fastest" in report["reason"]
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
        ("dpo", "pref.jsonl", "packed", "batching 'packed' applies to sft and cpt"),
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
