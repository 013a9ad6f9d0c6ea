"""Cancel saves a checkpoint; resuming continues the step count, optimizer, scheduler and the
loss curve exactly where an uninterrupted run would be."""

from __future__ import annotations

import threading

import pytest
from conftest import train


def _losses(sink) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in sink.of_type("metric")}


def _lrs(sink) -> dict[int, float]:
    return {e["step"]: e["learning_rate"] for e in sink.of_type("metric")}


@pytest.mark.parametrize("adapter", ["lora", "full"])
def test_cancel_then_resume_matches_an_uninterrupted_run(make_spec, tmp_path, adapter):
    hp = {"max_steps": 8, "batch_size": 4, "learning_rate": 5e-3, "scheduler": "linear", "warmup_steps": 2}
    reference_spec = make_spec("sft", adapter, hyperparameters=hp, output_dir=str(tmp_path / "reference"))
    reference, reference_sink = train(reference_spec)
    assert reference.status == "finished"
    expected = _losses(reference_sink)

    # Cancel mid-run: the stop flag goes up when step 3 is reported; the trainer then saves a
    # checkpoint at the end of the step it is in and stops.
    spec = make_spec("sft", adapter, hyperparameters=hp, output_dir=str(tmp_path / "interrupted"))
    stop = threading.Event()
    from tuneforge.training.event_stream import EventSink
    from tuneforge.training.runner import run

    def stop_at_step_3(event):
        if event["type"] == "metric" and event["step"] == 3:
            stop.set()

    sink = EventSink(listeners=[stop_at_step_3])
    cancelled = run(spec, sink=sink, stop=stop)
    assert cancelled.status == "cancelled"
    [checkpoint] = sink.of_type("checkpoint")
    [cancel] = sink.of_type("cancelled")
    stopped_at = cancel["step"]
    assert stopped_at == checkpoint["step"] == 4
    assert cancel["checkpoint"] == checkpoint["path"]
    ckpt = cancelled.output_dir / "checkpoints" / f"checkpoint-{stopped_at}"
    assert (ckpt / "optimizer.pt").exists() and (ckpt / "scheduler.pt").exists()
    assert not (cancelled.output_dir / "metrics.json").exists()  # a cancelled run is not a finished one

    resumed, resumed_sink = train(spec.model_copy(update={"resume_from_checkpoint": "latest"}))
    assert resumed.status == "finished", resumed.error
    started = resumed_sink.of_type("started")[0]
    assert started["resume_from_checkpoint"].endswith(f"checkpoint-{stopped_at}")

    before, after = _losses(sink), _losses(resumed_sink)
    assert sorted(after) == list(range(stopped_at + 1, 9))  # the step count continues
    combined = {**before, **after}
    assert sorted(combined) == sorted(expected)
    for step, loss in expected.items():
        assert combined[step] == pytest.approx(loss, abs=1e-4), (step, combined, expected)
    # The scheduler continued too: same learning rates as the uninterrupted run.
    for step, lr in _lrs(resumed_sink).items():
        assert lr == pytest.approx(_lrs(reference_sink)[step], rel=1e-6)
    assert resumed.metrics["steps"] == 8


def test_stop_before_training_starts_is_a_clean_cancel(make_spec):
    stop = threading.Event()
    stop.set()
    result, sink = train(make_spec(), stop=stop)
    assert result.status == "cancelled"
    assert sink.of_type("cancelled")[0]["checkpoint"] is None
