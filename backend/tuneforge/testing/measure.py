"""Measure a real training run the way the estimate predicts it: in a fresh process, one thread.

Used by tests/training/test_estimate.py and bench/estimate_accuracy.py. The child process imports
torch, transformers and peft before taking its memory baseline (they are not part of the run),
restarts the kernel's peak-RSS counter, measures the CPU's speed (hardware.measure_cpu_speed) just
before and just after the run, and reports peak resident growth and the CPU seconds of each
optimizer step. CPU time, not wall time: it does not stretch when other processes share the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_CHILD = r'''
import json, sys, time
def status():
    with open("/proc/self/status") as f:
        d = dict(line.split(":", 1) for line in f)
    return int(d["VmRSS"].split()[0]) * 1024, int(d["VmHWM"].split()[0]) * 1024
import torch, transformers, peft
torch.set_num_threads(1)
from tuneforge.training import runner
from tuneforge.training.event_stream import EventSink
from tuneforge.training.hardware import measure_cpu_speed
from tuneforge.training.spec import TrainingSpec
spec = TrainingSpec.model_validate(json.loads(sys.argv[1]))
before = measure_cpu_speed()
cpu = []
sink = EventSink(listeners=[lambda e: cpu.append(time.process_time()) if e["type"] == "metric" else None])
base, _ = status()
try:
    open("/proc/self/clear_refs", "w").write("5")  # restart the peak (VmHWM) from here
except OSError:
    pass
result = runner.run(spec, sink=sink)
_, peak = status()
after = measure_cpu_speed()
speed = {"matmul_flops": max(before["matmul_flops"], after["matmul_flops"]), "dispatch_seconds": min(before["dispatch_seconds"], after["dispatch_seconds"])}
steps = [b - a for a, b in zip(cpu, cpu[1:])]
print("RESULT " + json.dumps({"status": result.status, "error": result.error, "peak_growth": peak - base,
                              "cpu_step_times": steps, "speed": speed, "speed_before": before, "speed_after": after}))
'''


def measure_run(spec: dict, *, timeout: float = 900) -> dict:
    """Run `spec` in a child process; its status, peak RSS growth, per-step CPU seconds and CPU speed."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(spec)], capture_output=True, text=True, env=env, timeout=timeout
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(f"the measured run printed no result:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def steady_step_seconds(measured: dict, warmup: int) -> float:
    """The median CPU seconds per optimizer step after `warmup` steps."""
    steady = sorted(measured["cpu_step_times"][warmup:])
    return steady[len(steady) // 2]


def long_rows(path: Path, n: int) -> Path:
    """`n` chat rows each longer than any max_length used here: every micro-batch is full."""
    words = "the of and to in is you that it he was for on are as with his they at be this have from".split()
    rows = []
    for i in range(n):
        text = " ".join(words[(i * 7 + j * 3) % len(words)] for j in range(400))
        rows.append({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": text}]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def lora_spec(base_model: str, cache: Path, data: Path, out: Path, *, batch: int, length: int, steps: int) -> dict:
    """An SFT + LoRA spec with no evaluation, logging every step."""
    return {
        "base_model": base_model,
        "model_cache_dir": str(cache),
        "data": {"sources": [{"path": str(data)}], "validation_split": 0, "max_length": length, "loss_on": "all"},
        "lora": {"rank": 16, "alpha": 32, "dropout": 0.05},
        "hyperparameters": {"batch_size": batch, "max_steps": steps, "logging_steps": 1},
        "eval": {"enabled": False},
        "output_dir": str(out),
    }


ONE_CORE = {"type": "cpu", "cores": 1, "total_memory_bytes": 16 * 2**30, "free_memory_bytes": 16 * 2**30}
