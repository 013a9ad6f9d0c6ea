"""Variable-length SFT (issue #13): TuneForge's default batching against plain trl and trl's packing.

Chat rows of 20-750 tokens (median ~160, log-normal like instruction data), one epoch of SFT+LoRA per
runner, each a fresh process:

- tuneforge:        `python -m tuneforge.training run spec.json` with the defaults (`data.batching: auto`)
- trl:              bench/plain_trl_sft.py, a plain trl 1.16 `SFTTrainer` with its defaults (random batches
                    padded to the longest row)
- trl-bfd:          the same script with `packing=True, packing_strategy='bfd', padding_free=True`
- llamafactory:     LLaMA-Factory's neat_packing needs bench/.venv-llamafactory (training_speed.py
                    --setup-llamafactory); not run by this script yet.

Reported per runner: wall seconds of the epoch (the trainer's train_runtime), real tokens/s (the
tokens of the rows, no padding, over that time), the held-out loss per token (each runner computes
it the same way, one row at a time or per token over batches) and the peak resident memory of the
process (ru_maxrss: CPU only here). Every runner sees the same rows, tokens and loss masks.

    ../.venv/bin/python bench/variable_length.py --models tiny-llama
    ../.venv/bin/python bench/variable_length.py --models tiny-llama SmolLM2-135M-Instruct --rows 300
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "backend"))

RUNNERS = ("tuneforge", "trl", "trl-bfd")
# TuneForge with each batching forced: checks the cost model behind `auto` (not part of the comparison).
CHECKS = ("tuneforge-packed", "tuneforge-length_grouped", "tuneforge-plain")
# TuneForge's defaults with gradient checkpointing on (what a run gets when the estimate says memory is
# the limit): the memory comparison's other figure.
MEMORY = ("tuneforge-gc",)
SEED = 42
LORA = {"rank": 16, "alpha": 32, "dropout": 0.0}
WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one "
         "had by word but not what all were we when your can said there use an each which she do how their "
         "if will up other about out many then them these so some her would make like him into time has look").split()


def write_data(path: Path, rows: int, seed: int) -> Path:
    """Instruction rows whose lengths follow instruction data: log-normal words, 20-750, median ~160."""
    rng = random.Random(seed)
    lines = []
    for _ in range(rows):
        total = min(750, max(20, int(rng.lognormvariate(math.log(150), 0.65))))
        answer = max(4, int(total * rng.uniform(0.3, 0.8)))
        question = max(2, total - answer - 12)
        lines.append(json.dumps({"messages": [
            {"role": "user", "content": " ".join(rng.choice(WORDS) for _ in range(question))},
            {"role": "assistant", "content": " ".join(rng.choice(WORDS) for _ in range(answer))},
        ]}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _env(threads: int | None) -> dict:
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "TRL_EXPERIMENTAL_SILENCE": "1", "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(REPO / "backend"), "TUNEFORGE_TOKEN_CACHE": str(Path(os.environ.get("TMPDIR", "/tmp")) / f"tf-bench-tok-{time.time_ns()}")}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def _wait(proc: subprocess.Popen) -> tuple[int, float, float]:
    """(exit status, peak resident MiB, CPU seconds of the whole process) of a child."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def run_tuneforge(model: str, cache: Path, train: Path, held_out: Path, work: Path, job: dict, threads,
                  batching: str = "auto", gradient_checkpointing: bool = False) -> dict:
    spec = {
        "method": "sft", "adapter": "lora", "base_model": model, "model_cache_dir": str(cache),
        "data": {"sources": [{"path": str(train)}], "validation_path": str(held_out), "max_length": job["max_length"],
                 "batching": batching},
        "lora": LORA,
        "hyperparameters": {"epochs": 1, "batch_size": job["batch_size"], "learning_rate": job["learning_rate"],
                            "scheduler": "linear", "logging_steps": 5, "precision": "fp32",
                            "gradient_checkpointing": gradient_checkpointing},
        "eval": {"enabled": False}, "seed": SEED, "output_dir": str(work / "out"),
    }
    (work / "spec.json").write_text(json.dumps(spec))
    stderr = open(work / "stderr.txt", "w")
    proc = subprocess.Popen([sys.executable, "-m", "tuneforge.training", "run", str(work / "spec.json")],
                            stdout=subprocess.PIPE, stderr=stderr, text=True, env=_env(threads), cwd=REPO / "backend")
    events = [json.loads(line) for line in proc.stdout if line.startswith("{")]
    code, peak, cpu = _wait(proc)
    finished = [e for e in events if e["type"] == "finished"]
    if code or not finished:
        failed = [e for e in events if e["type"] == "failed"]
        raise RuntimeError(f"tuneforge failed ({code}): {failed} {(work / 'stderr.txt').read_text()[-2000:]}")
    [started] = [e for e in events if e["type"] == "started"]
    metrics = finished[0]["metrics"]
    return {"train_runtime": metrics["train_runtime_s"], "eval_loss": metrics.get("eval_loss"), "peak_mib": peak,
            "process_cpu_s": round(cpu, 1),
            "batching": started.get("batching"), "steps": metrics["steps"]}


def run_trl(model_path: Path, train: Path, held_out: Path, work: Path, job: dict, threads, packed: bool) -> dict:
    settings = {
        "model": str(model_path), "data": str(train), "eval_data": str(held_out), "output_dir": str(work / "out"),
        "steps_file": str(work / "steps.jsonl"), "results_file": str(work / "results.json"),
        "batch_size": job["batch_size"], "gradient_accumulation": 1, "max_length": job["max_length"], "epochs": 1,
        "learning_rate": job["learning_rate"], "scheduler": "linear", "lora_rank": LORA["rank"],
        "lora_alpha": LORA["alpha"], "lora_dropout": LORA["dropout"], "seed": SEED, "threads": threads,
        "packing": "bfd" if packed else None, "padding_free": packed,
    }
    (work / "settings.json").write_text(json.dumps(settings))
    stderr = open(work / "stderr.txt", "w")
    proc = subprocess.Popen([sys.executable, str(BENCH / "plain_trl_sft.py"), str(work / "settings.json")],
                            stdout=subprocess.DEVNULL, stderr=stderr, env=_env(threads))
    code, peak, cpu = _wait(proc)
    if code:
        raise RuntimeError(f"trl failed ({code}): {(work / 'stderr.txt').read_text()[-2000:]}")
    results = json.loads((work / "results.json").read_text())
    steps = [json.loads(x) for x in (work / "steps.jsonl").read_text().splitlines() if x.strip()]
    return {**results, "peak_mib": peak, "process_cpu_s": round(cpu, 1), "steps": max((s["step"] for s in steps), default=None)}


def real_tokens(model_path: Path, train: Path, max_length: int) -> tuple[int, list[int]]:
    from tuneforge.training.data import read_jsonl, tokenize_sft
    from tuneforge.training.loading import load_tokenizer

    tokenizer, _, _ = load_tokenizer(model_path)
    examples = tokenize_sft(tokenizer, read_jsonl(train), max_length=max_length, loss_on="assistant", packing=False)
    lengths = [len(e["input_ids"]) for e in examples]
    return sum(lengths), lengths


JOBS = {
    "tiny-llama": {"batch_size": 8, "max_length": 512, "learning_rate": 1e-3},
    # batch 4: a batch of eight 512-token rows holds ~11 GiB of fp32 activations on a 24 GiB machine
    "SmolLM2-135M-Instruct": {"batch_size": 4, "max_length": 512, "learning_rate": 1e-4},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["tiny-llama"])
    parser.add_argument("--runners", nargs="+", default=list(RUNNERS), choices=RUNNERS + CHECKS + MEMORY)
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--eval-rows", type=int, default=60)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--work", type=Path, default=BENCH / "results" / "variable_length")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    from tuneforge.training.loading import default_cache_dir, resolve_base_model

    args.work = args.work.resolve()  # the spec's paths are read relative to the spec file
    args.work.mkdir(parents=True, exist_ok=True)
    train = write_data(args.work / "train.jsonl", args.rows, seed=1)
    held_out = write_data(args.work / "held_out.jsonl", args.eval_rows, seed=2)
    cache = default_cache_dir()
    report = {"load_before": os.getloadavg(), "models": {}}
    for model in args.models:
        job = JOBS[model]
        model_path = resolve_base_model(model, cache)
        tokens, lengths = real_tokens(model_path, train, job["max_length"])
        results = {"tokens": tokens, "rows": len(lengths), "length_min": min(lengths),
                   "length_median": statistics.median(lengths), "length_max": max(lengths)}
        print(f"{model}: {len(lengths)} rows, {tokens} tokens, lengths {min(lengths)}-{max(lengths)} "
              f"(median {statistics.median(lengths)})", flush=True)
        for runner in args.runners:
            work = args.work / f"{runner}-{model}-{time.time_ns()}"
            work.mkdir(parents=True)
            if runner.startswith("tuneforge"):
                batching = runner.partition("-")[2] or "auto"
                gc = batching == "gc"
                out = run_tuneforge(model, cache, train, held_out, work, job, args.threads,
                                    "auto" if gc else batching, gradient_checkpointing=gc)
            else:
                out = run_trl(model_path, train, held_out, work, job, args.threads, packed=runner == "trl-bfd")
            out["real_tokens_per_s"] = round(tokens / out["train_runtime"], 1)
            results[runner] = out
            chosen = out.get("batching") or {}
            print(f"  {runner:10s} wall {out['train_runtime']:8.1f} s  {out['real_tokens_per_s']:9.1f} real tok/s  "
                  f"eval loss {out.get('eval_loss')}  peak {out['peak_mib']:.0f} MiB  process CPU {out['process_cpu_s']} s  "
                  f"steps {out.get('steps')}"
                  + (f"  [{chosen.get('batching')}, {chosen.get('real_token_fraction')} real]" if chosen else ""),
                  flush=True)
        if "tuneforge" in results and "trl" in results:
            others = [results[r]["real_tokens_per_s"] for r in args.runners if r in RUNNERS[1:] and r in results]
            results["speedup_vs_trl"] = round(results["tuneforge"]["real_tokens_per_s"] / results["trl"]["real_tokens_per_s"], 2)
            results["speedup_vs_fastest_other"] = round(results["tuneforge"]["real_tokens_per_s"] / max(others), 2)
            if results["trl"].get("eval_loss") and results["tuneforge"].get("eval_loss"):
                results["eval_loss_vs_trl"] = round(results["tuneforge"]["eval_loss"] / results["trl"]["eval_loss"] - 1, 4)
            results["peak_vs_trl"] = round(results["tuneforge"]["peak_mib"] / results["trl"]["peak_mib"], 2)
            print(f"  speed-up vs trl {results['speedup_vs_trl']}x, vs fastest other {results['speedup_vs_fastest_other']}x, "
                  f"eval loss vs trl {results.get('eval_loss_vs_trl')}, peak memory vs trl {results['peak_vs_trl']}x", flush=True)
        report["models"][model] = results
    report["load_after"] = os.getloadavg()
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
