"""One job over two processes against one process (issue #13), side by side in one run, on this CPU.

The same variable-length chat rows as variable_length.py, one epoch of SFT + LoRA, launched the way
a worker launches a job (worker.local_executor.LocalExecutor: torchrun with gloo for `devices: 2`):

- 1 process:   batch_size B, the machine's threads
- 2 processes: batch_size B/2 each (the same global batch), the threads split between them

Both use length-grouped batches (forced, so the comparison is of the parallelism, not of the batching
`auto` would pick for another per-device batch). Reported: real (non-padding) tokens per second over
the trainer's train_runtime, the epoch's wall time, the held-out loss, and the machine's load.

    ../.venv/bin/python bench/distributed_cpu.py --models tiny-llama SmolLM2-135M-Instruct --rows 120
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "backend"))
sys.path.insert(0, str(BENCH))

from variable_length import LORA, SEED, real_tokens, write_data  # noqa: E402

from tuneforge.training.loading import default_cache_dir, resolve_base_model  # noqa: E402
from tuneforge.worker.local_executor import LocalExecutor  # noqa: E402


def run(model: str, cache: Path, train: Path, held_out: Path, work: Path, *, devices: int, batch_size: int,
        max_length: int) -> dict:
    spec = {
        "method": "sft", "adapter": "lora", "base_model": model, "model_cache_dir": str(cache),
        "data": {"sources": [{"path": str(train)}], "validation_path": str(held_out), "max_length": max_length,
                 "batching": "length_grouped"},
        "lora": LORA,
        "hyperparameters": {"epochs": 1, "batch_size": batch_size // devices, "learning_rate": 2e-4,
                            "scheduler": "linear", "logging_steps": 5, "precision": "fp32"},
        "eval": {"enabled": False}, "seed": SEED, "output_dir": str(work / "out"), "devices": devices,
    }
    events: list[dict] = []
    executor = LocalExecutor(command=[sys.executable, "-m", "tuneforge.training", "run"])
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    result = asyncio.run(executor.run(spec=spec, timeout_s=None, on_event=events.append, output_dir=work / "out",
                                      spec_path=work / "spec.json",
                                      env={"TUNEFORGE_TOKEN_CACHE": str(work / "tokens"), "HF_HUB_OFFLINE": "1"}))
    wall = time.perf_counter() - t0
    finished = [e for e in events if e["type"] == "finished"]
    if result.returncode or not finished:
        raise RuntimeError(f"{devices} process(es) failed: {[e for e in events if e['type'] == 'failed']} "
                           f"{result.stderr_tail[-2000:]}")
    metrics = finished[-1]["metrics"]
    return {"devices": devices, "train_runtime": metrics["train_runtime_s"], "wall_s": round(wall, 1),
            "eval_loss": metrics.get("eval_loss"), "steps": metrics["steps"], "load_before": round(load, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["tiny-llama"])
    parser.add_argument("--rows", type=int, default=120)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    args = parser.parse_args()
    cache = default_cache_dir()
    with tempfile.TemporaryDirectory(prefix="tf-bench-ddp-") as tmp:
        root = Path(tmp)
        train = write_data(root / "train.jsonl", args.rows, seed=1)
        held_out = write_data(root / "held_out.jsonl", 24, seed=2)
        print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()}")
        for model in args.models:
            tokens, _ = real_tokens(resolve_base_model(model, cache), train, args.max_length)
            rows = []
            for devices in (1, 2):
                work = root / f"{model}-{devices}"
                work.mkdir()
                rows.append(run(model, cache, train, held_out, work, devices=devices, batch_size=args.batch_size,
                                max_length=args.max_length))
            one = rows[0]["train_runtime"]
            for row in rows:
                row["real_tokens_per_s"] = round(tokens / row["train_runtime"], 1)
                row["vs_one_process"] = round(one / row["train_runtime"], 3)
                print(json.dumps({"model": model, "real_tokens": tokens, **row}))
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
