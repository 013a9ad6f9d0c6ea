"""How close is the time and memory estimate to real runs on this CPU?

    .venv/bin/python bench/estimate_accuracy.py [--rounds 3]

Each round trains tiny-llama (LoRA dropout 0.05 and 0) and SmolLM2-135M-Instruct for real, one
thread, each in a fresh process (tuneforge.testing.measure), and compares what `estimate` said
before the run with what the run measured: peak resident memory growth, and the median CPU
seconds per optimizer step. The baseline is the same estimate without the CPU speed the worker
measures at start-up (the constants of the machine they were fitted on). Target: calibrated
estimates within ±30% of measured for every run; exits 1 when one is not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from tuneforge.testing.measure import ONE_CORE, long_rows, lora_spec, measure_run, steady_step_seconds  # noqa: E402
from tuneforge.training import estimate as est  # noqa: E402
from tuneforge.training.loading import default_cache_dir, resolve_base_model  # noqa: E402

CASES = [  # name, model, dropout, rows, batch, steps, warm-up steps
    ("tiny-llama, dropout 0.05", "tiny-llama", 0.05, 160, 8, 20, 2),
    ("tiny-llama, dropout 0", "tiny-llama", 0.0, 160, 8, 20, 2),
    ("SmolLM2-135M, dropout 0.05", "SmolLM2-135M-Instruct", 0.05, 16, 2, 5, 1),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cache = default_cache_dir()
    for _, model, *_ in CASES:
        resolve_base_model(model, cache)  # built or converted once, before anything is timed
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name, *_ in CASES}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name, model, dropout, n, batch, steps, warmup in CASES:
                work = Path(tmp) / f"{round_}-{model}-{dropout}"
                work.mkdir()
                spec = lora_spec(model, cache, long_rows(work / "d.jsonl", n), work / "out", batch=batch, length=128, steps=steps)
                spec["lora"]["dropout"] = dropout
                measured = measure_run(spec)
                if measured["status"] != "finished":
                    print(f"{name}: the run failed: {measured['error']}")
                    return 1
                step = steady_step_seconds(measured, warmup)
                plain = est.estimate(spec, ONE_CORE)
                calibrated = est.estimate(spec, {**ONE_CORE, "speed": measured["speed"]})
                memory = calibrated["training_memory_bytes"] / measured["peak_growth"]
                rows[name].append((calibrated["seconds_per_step"] / step, plain["seconds_per_step"] / step, memory))
                speed = measured["speed"]
                print(
                    f"round {round_ + 1} {name}: measured {step:.3f} CPU-s/step, {measured['peak_growth'] / 2**20:.0f} MiB; "
                    f"estimate/measured: time {rows[name][-1][0]:.2f} calibrated, {rows[name][-1][1]:.2f} uncalibrated; "
                    f"memory {memory:.2f}; CPU {speed['matmul_flops'] / 1e9:.0f} GFLOP/s, {speed['dispatch_seconds'] * 1e6:.0f} µs dispatch",
                    flush=True,
                )
    print("\nestimate / measured (min-max over rounds); target 0.70-1.30")
    print(f"{'case':<28} {'time, calibrated':>18} {'time, uncalibrated':>20} {'memory':>12}")
    failed = False
    span = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}"  # noqa: E731
    for name, results in rows.items():
        cal, plain, memory = (list(x) for x in zip(*results))
        failed |= not all(0.7 <= x <= 1.3 for x in cal + memory)
        print(f"{name:<28} {span(cal):>18} {span(plain):>20} {span(memory):>12}   median time {statistics.median(cal):.2f}")
    print("\nverdict:", "FAIL (outside ±30%)" if failed else "all within ±30%")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
