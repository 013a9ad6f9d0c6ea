"""The command lines: the worker's `python -m tuneforge.training run` (JSON lines, SIGTERM saves a
checkpoint and ends with `cancelled`), `tuneforge train` (progress + summary) and exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tuneforge.training.commands import main
from tuneforge.training.event_stream import read_events

BACKEND = Path(__file__).resolve().parents[2]


def _write_spec(make_spec, path: Path, **overrides) -> Path:
    spec = make_spec(**overrides)
    raw = spec.model_dump(mode="json")
    if path.suffix == ".yaml":
        path.write_text(yaml.safe_dump(raw))
    else:
        path.write_text(json.dumps(raw))
    return path


def test_sigterm_saves_a_checkpoint_then_reports_cancelled(make_spec, tmp_path):
    spec_file = _write_spec(
        make_spec,
        tmp_path / "spec.json",
        hyperparameters={"max_steps": 500},
        debug={"step_delay_s": 0.2},
    )
    env = {**os.environ, "PYTHONPATH": str(BACKEND)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuneforge.training", "run", str(spec_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=BACKEND,
    )
    lines = []
    deadline = time.time() + 240
    try:
        for line in proc.stdout:
            lines.append(line)
            event = json.loads(line)  # stdout carries events and nothing else
            if event["type"] == "metric" and event["step"] >= 2:
                proc.send_signal(signal.SIGTERM)
                break
            assert event["type"] not in ("failed", "finished"), event
            assert time.time() < deadline, "no metric event in time"
        rest, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    events = read_events(lines + rest.splitlines())
    assert proc.returncode == 0, stderr[-2000:]
    assert [e["type"] for e in events].count("cancelled") == 1
    assert events[-1]["type"] == "cancelled"
    checkpoint = [e for e in events if e["type"] == "checkpoint"][-1]
    assert events[-1]["checkpoint"] == checkpoint["path"]
    assert events[-1]["step"] == checkpoint["step"] < 500
    assert (Path(checkpoint["path"]) / "optimizer.pt").exists()
    assert {"started", "metric", "checkpoint", "cancelled"} <= {e["type"] for e in events}
    assert all(isinstance(e["time"], float) for e in events)


def test_train_command_prints_progress_and_a_summary(make_spec, tmp_path, capsys):
    spec_file = _write_spec(make_spec, tmp_path / "spec.yaml", hyperparameters={"max_steps": 3})
    assert main(["train", str(spec_file)]) == 0
    err = capsys.readouterr().err
    assert "training sft + lora on cpu" in err
    assert "3/3 loss" in err
    assert "finished in" in err and "output" in err


def test_run_command_writes_events_to_the_given_fd(make_spec, tmp_path):
    spec_file = _write_spec(make_spec, tmp_path / "spec.json", hyperparameters={"max_steps": 2})
    import threading

    read_fd, write_fd = os.pipe()
    received: list[str] = []
    # Read while the run writes, as the worker does: a pipe holds only 64 KiB.
    reader = threading.Thread(target=lambda: received.append(os.fdopen(read_fd).read()), daemon=True)
    reader.start()
    try:
        code = main(["run", str(spec_file), "--events-fd", str(write_fd)])
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert code == 0
    reader.join(timeout=30)  # the sink closed the write end when the run ended
    events = read_events(received[0])
    types = [e["type"] for e in events]
    assert "started" in types and types[-1] == "finished"


@pytest.mark.parametrize(
    ("overrides", "code", "kind"),
    [
        ({"method": "kto", "data_file": "pref.jsonl"}, 2, "configuration"),
        ({"debug": {"force_oom_when_batch_above": 1}}, 3, "out_of_memory"),
    ],
)
def test_exit_codes_name_the_failure(make_spec, tmp_path, capsys, overrides, code, kind):
    spec_file = _write_spec(make_spec, tmp_path / "spec.json", **overrides)
    assert main(["train", str(spec_file), "--json"]) == code
    events = read_events(capsys.readouterr().out)
    assert events[-1]["type"] == "failed" and events[-1]["kind"] == kind


def test_a_spec_that_does_not_parse_is_a_configuration_failure(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: sft\nadapter: lorra\noutput_dir: out\ndata: x.jsonl\n")
    assert main(["train", str(bad), "--json"]) == 2
    [event] = read_events(capsys.readouterr().out)
    assert event["kind"] == "configuration" and "adapter" in event["message"]


def test_evaluate_command(make_spec, model_cache, data_dir, tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--model", "tiny-llama",
            "--model-cache-dir", str(model_cache),
            "--data", str(data_dir / "pc.jsonl"),
            "--samples", "4",
            "--max-new-tokens", "4",
            "--output", str(tmp_path / "eval"),
        ]
    )
    assert code == 0
    assert json.loads((tmp_path / "eval" / "evaluation.json").read_text())
