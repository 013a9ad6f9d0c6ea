"""How close is the time and memory estimate to real runs on this CPU?

    .venv/bin/python bench/estimate_accuracy.py [--rounds 3]
    .venv/bin/python bench/estimate_accuracy.py --phases [--threads 1] [--smollm2-steps 10]

Each round trains tiny-llama (LoRA dropout 0.05 and 0) and SmolLM2-135M-Instruct for real, one
thread, each in a fresh process (tuneforge.testing.measure), and compares what `estimate` said
before the run with what the run measured: peak resident memory growth, and the median CPU
seconds per optimizer step. The baseline is the same estimate without the CPU speed the worker
measures at start-up (the constants of the machine they were fitted on). Target: calibrated
estimates within ±30% of measured for every run; exits 1 when one is not.

`--phases` compares the whole run instead: each case runs the way a worker runs a job (`python -m
tuneforge.training run spec.json`, a fresh process, evaluation on: held-out loss and 16 generated
answers of 64 tokens from the fine-tuned model and the base), its phases timed from the trainer's
events by the same clock the worker uses (jobs/accuracy.PhaseClock), against the estimate's phases
and range for this CPU as a worker sees it (its cores and measured speed). Wall time, not CPU time:
what a user waits. `--threads N` limits the trainer's threads (default: all cores, as a worker).
Reports estimated / actual per phase and whether the total fell inside the estimated range; it
records, it does not judge (a busy machine is part of what it shows), and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
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


PHASE_CASES = [  # name, model, rows (10% held out), batch, steps
    ("tiny-llama, 20 steps", "tiny-llama", 160, 8, 20),
    ("SmolLM2-135M, {steps} steps", "SmolLM2-135M-Instruct", 100, 2, None),
]


def _load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"


def run_like_a_worker(spec: dict, work: Path, threads: int | None) -> tuple[float, float, list[dict]]:
    """`python -m tuneforge.training run spec.json` as a worker runs it: when it started (unix time),
    its wall seconds, and its events."""
    (work / "spec.json").write_text(json.dumps(spec))
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "tuneforge.training", "run", str(work / "spec.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=work)
    events = []
    for line in proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "type" in event:
            events.append(event)
    proc.wait()
    return started, time.time() - started, events


def phases_main(args: argparse.Namespace) -> int:
    from tuneforge.jobs.accuracy import PhaseClock
    from tuneforge.training.hardware import detect_devices

    cache = default_cache_dir()
    cpu = detect_devices(measure_cpu=True)[-1]  # what a worker registers: its cores and measured speed
    if args.threads:
        cpu = {**cpu, "cores": args.threads}
    print(f"CPU as a worker sees it: {cpu['cores']} cores, {cpu['speed']['matmul_flops'] / 1e9:.0f} GFLOP/s, "
          f"{cpu['speed']['dispatch_seconds'] * 1e6:.0f} µs dispatch; trainer threads: {args.threads or 'all'}")
    cases = [(name.format(steps=args.smollm2_steps), model, rows, batch, steps or args.smollm2_steps)
             for name, model, rows, batch, steps in PHASE_CASES if model == "tiny-llama" or args.smollm2_steps]
    for _, model, *_ in cases:
        resolve_base_model(model, cache)
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, rows, batch, steps in cases:
            work = Path(tmp) / model
            work.mkdir()
            spec = lora_spec(model, cache, long_rows(work / "d.jsonl", rows), work / "out", batch=batch, length=128, steps=steps)
            spec["data"]["validation_split"] = 0.1
            spec["eval"] = {"enabled": True}  # the defaults: 16 samples, 64 new tokens, base compared
            predicted = est.estimate(spec, cpu)
            load_before = _load()
            started, wall, events = run_like_a_worker(spec, work, args.threads)
            terminal = next((e for e in events if e["type"] in ("finished", "failed", "cancelled")), None)
            if not terminal or terminal["type"] != "finished":
                print(f"{name}: the run did not finish: {terminal}")
                return 1
            clock = PhaseClock(started)  # the worker's clock: from the process start to its exit
            for event in events:
                clock.observe(event)
            actual = {p["name"]: p["seconds"] for p in clock.phases(started + wall)}
            print(f"\n{name}: {steps} steps, batch {batch} x 128 tokens, {rows} rows; load average {load_before} before, "
                  f"{_load()} after")
            print(f"  {'phase':<14} {'estimated':>10} {'actual':>8} {'est/actual':>11}")
            for phase in predicted["phases"]:
                got = actual.get(phase["name"], 0.0)
                ratio = f"{phase['seconds'] / got:.2f}" if got >= 0.05 else "—"
                print(f"  {phase['name']:<14} {phase['seconds']:>9.1f}s {got:>7.1f}s {ratio:>11}")
            low, mid, high = predicted["wall_seconds_low"], predicted["wall_seconds"], predicted["wall_seconds_high"]
            inside = "inside" if low <= wall <= high else "OUTSIDE"
            print(f"  {'total':<14} {mid:>9.1f}s {wall:>7.1f}s {mid / wall:>11.2f}   range {low:.1f}-{high:.1f} s: actual {inside}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--phases", action="store_true", help="whole runs, phase by phase, against the estimate's range")
    parser.add_argument("--threads", type=int, default=None, help="--phases: the trainer's threads (default: all cores)")
    parser.add_argument("--smollm2-steps", type=int, default=10, help="--phases: SmolLM2's steps (0: skip SmolLM2)")
    args = parser.parse_args()
    if args.phases:
        return phases_main(args)
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
