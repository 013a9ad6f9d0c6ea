"""Training speed: the same SFT+LoRA job through TuneForge, a plain trl script and LLaMA-Factory.

For each model (tiny-llama, SmolLM2-135M-Instruct) the job is run `--reps` times per runner,
alternating runners (the order rotates every repetition) so that a slow spell of a shared machine
hits all of them alike. Each run is a fresh process:

- tuneforge:    `python -m tuneforge.training run spec.json` (the worker's entry), events on stdout
- trl:          bench/plain_trl_sft.py, a plain trl 1.16 `SFTTrainer` script with the same settings
- llamafactory: LLaMA-Factory 0.9.5's training entry in its own virtualenv (bench/.venv-llamafactory,
                set up by `--setup-llamafactory`: torch pinned to 2.13.0, its CUDA torchvision and
                torchaudio removed). Skipped when that virtualenv is missing. Never in CI.

Steady-state seconds per step = (time of the last step - time of step `warmup`) / (steps between),
from per-step wall-clock times each runner logs at the same point (the trainer's `on_log`, with
logging every step). Reported per runner as the median over repetitions, with the ratios. The
same is computed from each process's CPU time (user + system), which, with `--threads 1`, does
not stretch when other jobs share the machine: on a busy box compare those.

Correctness: TuneForge and the plain trl script see the same rows in the same order, the same
tokens and loss mask (written independently in each), the same seed, LoRA init and optimizer,
so their per-step losses must agree within 1e-4 (transformers logs losses rounded to 4 decimals).
LLaMA-Factory masks with its own template and cut-off rules, so its losses are shown, not checked.

    ../.venv/bin/python bench/training_speed.py                     # both models, tuneforge + trl (+ LF if set up)
    ../.venv/bin/python bench/training_speed.py --setup-llamafactory # create the LF venv first (minutes, needs PyPI)
    ../.venv/bin/python bench/training_speed.py --models tiny-llama --reps 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
LF_VENV = BENCH / ".venv-llamafactory"
LF_PYTHON = LF_VENV / "bin" / "python"
RUNNERS = ("tuneforge", "trl", "llamafactory")

# The job per model: tiny-llama at batch 8 x 128 tokens (docs/library-notes.md's measurement), SmolLM2 at
# batch 2 x 256 tokens. Rows are long enough to fill max_length; steps/warmup keep SmolLM2 short.
JOBS = {
    "tiny-llama": {"batch_size": 8, "max_length": 128, "max_steps": 40, "warmup": 8, "learning_rate": 1e-3, "words": 90},
    "SmolLM2-135M-Instruct": {"batch_size": 2, "max_length": 256, "max_steps": 12, "warmup": 3, "learning_rate": 1e-4,
                              "words": 220},
}
LORA = {"rank": 16, "alpha": 32, "dropout": 0.0}  # no dropout: the loss check needs identical forward passes
SEED = 42
LOSS_TOLERANCE = 1e-4


# -- setup -------------------------------------------------------------------------------------


def setup_llamafactory() -> None:
    """Create bench/.venv-llamafactory with LLaMA-Factory 0.9.5 beside the CPU torch 2.13.0 wheel."""
    pip = [str(LF_VENV / "bin" / "pip")]
    constraints = LF_VENV / "constraints.txt"
    if not LF_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(LF_VENV)], check=True)
    constraints.write_text("torch==2.13.0\n")
    subprocess.run(pip + ["install", "torch==2.13.0"], check=True)
    subprocess.run(pip + ["install", "llamafactory==0.9.5", "-c", str(constraints)], check=True)
    # Its torchvision/torchaudio pins pull builds whose native libraries fail to load beside the
    # CPU torch 2.13.0. LLaMA-Factory 0.9.5 imports torchaudio at module level (mm_plugin.py) but
    # uses it only for audio inputs, so a stub stands in for it; text SFT never touches it.
    subprocess.run(pip + ["uninstall", "-y", "torchvision", "torchaudio"], check=False)
    site = subprocess.run([str(LF_PYTHON), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    stub = Path(site) / "torchaudio"
    stub.mkdir(exist_ok=True)
    (stub / "__init__.py").write_text(
        '"""Stub written by tuneforge bench/training_speed.py: no audio in this virtualenv."""\n'
        "__version__ = '0.0.0+stub'\n"
        "def __getattr__(name):\n"
        "    raise ImportError('torchaudio is a stub in the benchmark virtualenv (text-only training)')\n"
    )
    subprocess.run([str(LF_PYTHON), "-c", "import llamafactory, torch; print(llamafactory.__version__, torch.__version__)"],
                   check=True)


def llamafactory_available() -> bool:
    if not LF_PYTHON.exists():
        return False
    probe = subprocess.run([str(LF_PYTHON), "-c", "import llamafactory.train.tuner"], capture_output=True)
    return probe.returncode == 0


# -- the job ----------------------------------------------------------------------------------


WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one "
         "had by word but not what all were we when your can said there use an each which she do how their "
         "if will up other about out many then them these so some her would make like him into time has look").split()


def write_data(path: Path, words: int, rows: int = 256) -> Path:
    """Chat rows with an explicit system turn (SmolLM2's template would otherwise insert its own,
    which LLaMA-Factory's chatml template does not) and answers long enough to fill max_length."""
    rng = random.Random(0)
    lines = []
    for _ in range(rows):
        question = " ".join(rng.choice(WORDS) for _ in range(12))
        answer = " ".join(rng.choice(WORDS) for _ in range(words))
        lines.append(json.dumps({"messages": [
            {"role": "system", "content": "You repeat words."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]}))
    path.write_text("\n".join(lines) + "\n")
    return path


def tuneforge_spec(model: str, cache: Path, data: Path, out: Path, job: dict) -> dict:
    return {
        "method": "sft",
        "adapter": "lora",
        "provider": "hf",
        "base_model": model,
        "model_cache_dir": str(cache),
        # plain batching: the trl script's random order and padding, so the per-step losses can be compared
        # (variable_length.py measures TuneForge's default batching).
        "data": {"sources": [{"path": str(data)}], "validation_split": 0, "max_length": job["max_length"],
                 "batching": "plain"},
        "lora": LORA,
        "hyperparameters": {
            "max_steps": job["max_steps"], "batch_size": job["batch_size"], "gradient_accumulation": 1,
            "learning_rate": job["learning_rate"], "scheduler": "linear", "logging_steps": 1, "precision": "fp32",
        },
        "eval": {"enabled": False},
        "seed": SEED,
        "output_dir": str(out),
    }


def trl_settings(model_path: Path, data: Path, out: Path, steps_file: Path, job: dict, threads: int | None) -> dict:
    return {
        "model": str(model_path), "data": str(data), "output_dir": str(out), "steps_file": str(steps_file),
        "batch_size": job["batch_size"], "gradient_accumulation": 1, "max_length": job["max_length"],
        "max_steps": job["max_steps"], "learning_rate": job["learning_rate"], "scheduler": "linear",
        "lora_rank": LORA["rank"], "lora_alpha": LORA["alpha"], "lora_dropout": LORA["dropout"], "seed": SEED,
        "threads": threads,
    }


def llamafactory_args(model_path: Path, data: Path, out: Path, job: dict, threads: int | None) -> dict:
    dataset_dir = data.parent
    (dataset_dir / "dataset_info.json").write_text(json.dumps({
        "bench": {
            "file_name": data.name, "formatting": "sharegpt", "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                     "assistant_tag": "assistant", "system_tag": "system"},
        }
    }))
    return {
        "model_name_or_path": str(model_path), "stage": "sft", "do_train": True, "finetuning_type": "lora",
        "lora_rank": LORA["rank"], "lora_alpha": LORA["alpha"], "lora_dropout": LORA["dropout"], "lora_target": "all",
        "dataset": "bench", "dataset_dir": str(dataset_dir), "template": "chatml", "cutoff_len": job["max_length"],
        "overwrite_cache": True, "preprocessing_num_workers": None, "output_dir": str(out), "overwrite_output_dir": True,
        "logging_steps": 1, "save_strategy": "no", "plot_loss": False, "report_to": "none",
        "per_device_train_batch_size": job["batch_size"], "gradient_accumulation_steps": 1,
        "learning_rate": job["learning_rate"], "max_steps": job["max_steps"], "lr_scheduler_type": "linear",
        "warmup_steps": 0, "bf16": False, "fp16": False, "seed": SEED, "disable_tqdm": True,
        "_threads": threads,
    }


# -- running ------------------------------------------------------------------------------------


def _env(threads: int | None) -> dict:
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "TRL_EXPERIMENTAL_SILENCE": "1",
           "HF_HUB_OFFLINE": "1", "DISABLE_VERSION_CHECK": "1", "PYTHONPATH": str(REPO / "backend")}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def run_once(runner: str, model: str, model_path: Path, cache: Path, data: Path, work: Path, job: dict,
             threads: int | None) -> dict:
    run_dir = work / f"{runner}-{model}-{time.time_ns()}"
    run_dir.mkdir(parents=True)
    steps_file = run_dir / "steps.jsonl"
    started = time.time()
    if runner == "tuneforge":
        spec = run_dir / "spec.json"
        spec.write_text(json.dumps(tuneforge_spec(model, cache, data, run_dir / "out", job)))
        stderr = open(run_dir / "stderr.txt", "w+")
        proc = subprocess.Popen([sys.executable, "-m", "tuneforge.training", "run", str(spec)], stdout=subprocess.PIPE,
                                stderr=stderr, text=True, env=_env(threads), cwd=REPO / "backend")
        steps = []
        for line in proc.stdout:  # events arrive as they happen: stamp each with the child's CPU time
            cpu = _cpu_seconds(proc.pid)
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("type") == "metric":
                steps.append({"step": event["step"], "time": event["time"], "cpu": cpu, "loss": event["loss"]})
        proc.wait()
        stderr.seek(0)
        proc.stderr = stderr.read()
    elif runner == "trl":
        settings = run_dir / "settings.json"
        settings.write_text(json.dumps(trl_settings(model_path, data, run_dir / "out", steps_file, job, threads)))
        proc = subprocess.run([sys.executable, str(BENCH / "plain_trl_sft.py"), str(settings)], capture_output=True,
                              text=True, env=_env(threads))
        steps = _read_steps(steps_file)
    else:
        args = run_dir / "args.json"
        args.write_text(json.dumps(llamafactory_args(model_path, data, run_dir / "out", job, threads)))
        proc = subprocess.run([str(LF_PYTHON), str(BENCH / "llamafactory_sft.py"), str(args), str(steps_file)],
                              capture_output=True, text=True, env=_env(threads))
        steps = _read_steps(steps_file)
    wall = time.time() - started
    if proc.returncode != 0 or len(steps) < job["max_steps"]:
        raise RuntimeError(f"{runner} on {model} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return {"runner": runner, "steps": steps, "wall_s": wall, "s_per_step": steady_s_per_step(steps, job["warmup"]),
            "cpu_s_per_step": steady_s_per_step(steps, job["warmup"], key="cpu")}


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process (Linux), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read_steps(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def steady_s_per_step(steps: list[dict], warmup: int, key: str = "time") -> float | None:
    by_step = {s["step"]: s.get(key) for s in steps}
    if any(v is None for v in by_step.values()):
        return None
    last = max(by_step)
    return (by_step[last] - by_step[warmup]) / (last - warmup)


def compare_losses(a: list[dict], b: list[dict]) -> float:
    la = {s["step"]: s["loss"] for s in a}
    lb = {s["step"]: s["loss"] for s in b}
    common = sorted(set(la) & set(lb))
    return max(abs(la[s] - lb[s]) for s in common)


def bench_model(model: str, runners: list[str], reps: int, cache: Path, work: Path, threads: int | None) -> dict:
    from tuneforge.training.loading import resolve_base_model

    job = JOBS[model]
    model_path = resolve_base_model(model, cache)
    data = write_data(_data_path(work, model), job["words"])
    results: dict[str, list[dict]] = {r: [] for r in runners}
    for rep in range(reps):
        order = runners[rep % len(runners):] + runners[: rep % len(runners)]
        for runner in order:
            result = run_once(runner, model, model_path, cache, data, work, job, threads)
            results[runner].append(result)
            print(f"  {model} rep {rep + 1} {runner:12s} {result['s_per_step']:.4f} s/step, "
                  f"{result['cpu_s_per_step'] or float('nan'):.4f} CPU-s/step (run {result['wall_s']:.1f} s)", flush=True)
    summary: dict = {"job": job, "runs": {r: [x["s_per_step"] for x in results[r]] for r in runners},
                     "cpu_runs": {r: [x["cpu_s_per_step"] for x in results[r]] for r in runners}}
    median = {r: statistics.median(summary["runs"][r]) for r in runners}
    cpu_median = {r: statistics.median([c for c in summary["cpu_runs"][r] if c is not None] or [float("nan")])
                  for r in runners}
    summary["median_s_per_step"] = median
    summary["median_cpu_s_per_step"] = cpu_median
    if "trl" in median:
        summary["ratio_to_trl"] = {r: median[r] / median["trl"] for r in runners}
        summary["cpu_ratio_to_trl"] = {r: cpu_median[r] / cpu_median["trl"] for r in runners}
    if "tuneforge" in median and "trl" in median:
        diff = compare_losses(results["tuneforge"][0]["steps"], results["trl"][0]["steps"])
        summary["max_loss_diff_tuneforge_vs_trl"] = diff
        summary["losses_match"] = diff <= LOSS_TOLERANCE + 1e-9
        summary["losses"] = {r: [s["loss"] for s in results[r][0]["steps"]] for r in runners}
    return summary


def _data_path(work: Path, model: str) -> Path:
    directory = work / f"data-{model}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / "bench.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(JOBS), help="comma-separated: " + ", ".join(JOBS))
    parser.add_argument("--runners", default=",".join(RUNNERS))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads per run (default: torch's)")
    parser.add_argument("--setup-llamafactory", action="store_true", help="create bench/.venv-llamafactory first")
    parser.add_argument("--cache-dir", default=None, help="model cache (default: tuneforge's)")
    parser.add_argument("--out", default=None, help="results JSON (default: bench/results/training-<time>.json)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO / "backend"))
    from tuneforge.training.loading import default_cache_dir

    if args.setup_llamafactory:
        setup_llamafactory()
    runners = [r for r in args.runners.split(",") if r]
    if "llamafactory" in runners and not llamafactory_available():
        print("LLaMA-Factory virtualenv missing or broken: skipping it (run with --setup-llamafactory)")
        runners.remove("llamafactory")
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    work = BENCH / "results" / f"work-{stamp}"
    work.mkdir(parents=True, exist_ok=True)

    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(), "load_average_at_start": os.getloadavg()},
        "threads": args.threads,
        "reps": args.reps,
        "models": {},
    }
    for model in [m for m in args.models.split(",") if m]:
        print(f"{model}: {', '.join(runners)} x {args.reps}", flush=True)
        report["models"][model] = bench_model(model, runners, args.reps, cache, work, args.threads)
        m = report["models"][model]
        print(f"{model}: median s/step {json.dumps({k: round(v, 4) for k, v in m['median_s_per_step'].items()})}"
              + (f", ratio to trl {json.dumps({k: round(v, 3) for k, v in m['ratio_to_trl'].items()})}"
                 if "ratio_to_trl" in m else "")
              + f"; median CPU-s/step {json.dumps({k: round(v, 4) for k, v in m['median_cpu_s_per_step'].items()})}"
              + (f", CPU ratio to trl {json.dumps({k: round(v, 3) for k, v in m['cpu_ratio_to_trl'].items()})}"
                 if "cpu_ratio_to_trl" in m else "")
              + (f", max |loss diff| tuneforge vs trl {m['max_loss_diff_tuneforge_vs_trl']:.2e}"
                 if "max_loss_diff_tuneforge_vs_trl" in m else ""), flush=True)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    out = Path(args.out) if args.out else BENCH / "results" / f"training-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out}")
    failed = [m for m, r in report["models"].items() if r.get("losses_match") is False]
    if failed:
        print(f"LOSS MISMATCH (> {LOSS_TOLERANCE}) on: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
