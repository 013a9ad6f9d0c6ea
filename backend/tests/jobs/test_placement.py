"""Workers leave a job that does not fit their memory to a live worker whose memory it fits."""

from __future__ import annotations

import json

from tuneforge.training.spec import TrainingSpec
from tuneforge.worker.supervisor import placement

GiB = 1024**3


def _spec(tmp_path) -> TrainingSpec:
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) + "\n" for i in range(20)))
    return TrainingSpec.model_validate({"method": "sft", "adapter": "lora", "base_model": "SmolLM2-135M-Instruct", "data": {"sources": [{"path": str(data)}]},
            "hyperparameters": {"batch_size": 8, "max_steps": 10}, "output_dir": str(tmp_path / "out")})


def _cpu(gib: float) -> dict:
    return {"type": "cpu", "name": "x86_64", "cores": 2, "total_memory_bytes": int(gib * GiB)}


def test_small_worker_leaves_the_job_to_a_bigger_live_worker(tmp_path):
    spec = _spec(tmp_path)
    assert placement(spec, [_cpu(0.5)], [_cpu(64)]) == "elsewhere"


def test_a_worker_that_fits_runs_it(tmp_path):
    spec = _spec(tmp_path)
    assert placement(spec, [_cpu(64)], [_cpu(0.5)]) == "here"


def test_when_nobody_fits_it_runs_here_and_relies_on_the_oom_retry(tmp_path):
    spec = _spec(tmp_path)
    assert placement(spec, [_cpu(0.5)], [_cpu(0.4)]) == "here"
    assert placement(spec, [_cpu(0.5)], []) == "here"
