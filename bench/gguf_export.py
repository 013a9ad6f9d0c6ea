"""GGUF export: TuneForge's `export_gguf` vs llama.cpp's converter run by hand on the same folder.

    .venv/bin/python bench/gguf_export.py                    # SmolLM2-135M-Instruct, f16 and q8_0, 3 rounds (~4 min)
    .venv/bin/python bench/gguf_export.py --all              # every type the converter offers (~12 min)
    .venv/bin/python bench/gguf_export.py --adapter          # also a SmolLM2 LoRA adapter (merged, then exported)
    .venv/bin/python bench/gguf_export.py --adapter-only     # only the adapter rows
    .venv/bin/python bench/gguf_export.py --types q8_0 --rounds 5 --no-verify

For every type, `--rounds` times, alternating which of the two goes first:

- tuneforge: `tuneforge.training.gguf.export_gguf(folder, out, type)` called in this process; the time is the
  call's wall time, so it includes the architecture check, the converter subprocess, the rename and the
  sha256 of the file (for an adapter: the merge into its base, too);
- by hand:   `python .venv/share/llama.cpp/convert_hf_to_gguf.py <folder> --outfile X --outtype T`, in a
  subprocess with the same environment as the export (gguf._clean_env: PYTHONPATH=<llama.cpp>/gguf-py,
  offline, no tokens), the same working directory, output to a log file. For an adapter, "by hand" is the
  usual peft merge (`PeftModel.from_pretrained(base, adapter).merge_and_unload().save_pretrained(dir)` and the
  tokenizer saved beside it), in this process, then the converter.

Medians of wall seconds and of CPU seconds (user+system of this process's children and, for tuneforge,
of this process itself: the sha256, the merge), and the ratio tuneforge / by hand (target: <= 1.1). The two
files of every round are compared byte for byte (sha256). Then `verify_gguf(folder, file)` (transformers'
GGUF loader; the 8 CHECK_PROMPTS, 48 new tokens) with one torch thread, as the tests use (on 2 shared cores
torch's default of one thread per core spins and waits).

The safetensors file is read once before the first round, so both contenders start with it in the page cache;
both files of a round are deleted after it, and `sync` runs (untimed) before every run, so that neither starts
while the other's output is still being written back to disk.
Results: bench/results/gguf-export-<time>.json (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "backend"))

DEFAULT_TYPES = ("f16", "q8_0")
TARGET_RATIO = 1.1


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds(include_self: bool) -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = children.ru_utime + children.ru_stime
    if include_self:
        own = resource.getrusage(resource.RUSAGE_SELF)
        total += own.ru_utime + own.ru_stime
    return total


def warm_page_cache(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as fh:
                while fh.read(1 << 24):
                    pass


def make_adapter(base: Path, out: Path, seed: int = 1, scale: float = 0.05) -> Path:
    """A LoRA adapter (r8, q/v projections) with random non-zero B, as backend/tests/publishing/conftest.py makes."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0.0, scale)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return out


def merge_by_hand(base: Path, adapter: Path, out: Path) -> Path:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    PeftModel.from_pretrained(model, adapter).merge_and_unload().save_pretrained(out, safe_serialization=True)
    AutoTokenizer.from_pretrained(adapter).save_pretrained(out)
    return out


def run_tuneforge(folder: Path, out: Path, kind: str, base: Path | None, work: Path) -> dict:
    from tuneforge.training import gguf
    from tuneforge.training.gguf import export_gguf, sha256_of

    # Where the time goes: the converter subprocess (gguf._run_converter, timed from outside) vs the rest
    # (architecture check, merge, rename, sha256). Wrapping it adds one function call.
    inner, converter_seconds = gguf._run_converter, []

    def timed(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            converter_seconds.append(time.perf_counter() - begun)

    gguf._run_converter = timed
    try:
        cpu0, start = cpu_seconds(True), time.perf_counter()
        export = export_gguf(folder, out, kind, base_folder=base, work_dir=work)
        seconds = time.perf_counter() - start
    finally:
        gguf._run_converter = inner
    cpu = cpu_seconds(True) - cpu0
    hashed = time.perf_counter()
    sha256_of(out)  # what the sha256 inside export_gguf costs (file in the page cache), not in the time above
    return {"seconds": seconds, "cpu_seconds": cpu, "reported_seconds": export.seconds,
            "converter_seconds": sum(converter_seconds),
            "sha256_seconds": time.perf_counter() - hashed, "size": export.size, "sha256": export.sha256}


def run_by_hand(folder: Path, out: Path, kind: str, base: Path | None, work: Path) -> dict:
    from tuneforge.training.gguf import _clean_env, find_converter, sha256_of

    converter = find_converter()
    merged: Path | None = None
    cpu0, start = cpu_seconds(True), time.perf_counter()
    try:
        source = folder
        if base is not None:
            merged = merge_by_hand(base, folder, Path(tempfile.mkdtemp(prefix="hand-merged-", dir=work)))
            source = merged
        log = out.with_suffix(".log")
        with open(log, "wb") as output:
            code = subprocess.run([sys.executable, str(converter), str(source), "--outfile", str(out), "--outtype", kind],
                                  stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                  env=_clean_env(converter), cwd=str(converter.parent)).returncode
        seconds = time.perf_counter() - start
    finally:
        if merged is not None:
            shutil.rmtree(merged, ignore_errors=True)
    cpu = cpu_seconds(True) - cpu0
    text = log.read_text(encoding="utf-8", errors="replace")
    if code != 0 or not out.exists():
        lines = [line for line in text.replace("\r", "\n").splitlines() if line.strip()]
        return {"failed": True, "exit_code": code, "last_line": (lines or ["no output"])[-1][:300], "seconds": seconds}
    fallbacks = len(re.findall(r"falling back to", text))
    log.unlink()
    return {"seconds": seconds, "cpu_seconds": cpu, "size": out.stat().st_size, "sha256": sha256_of(out),
            "fallback_tensors": fallbacks}


def gguf_differences(a: Path, b: Path) -> dict:
    """Where two GGUF files differ: metadata keys (with both values) and tensors whose bytes differ."""
    from gguf import GGUFReader

    ra, rb = GGUFReader(a), GGUFReader(b)

    def value(field):
        try:
            return field.contents()
        except Exception:  # noqa: BLE001 - an odd field: compare its raw parts
            return [bytes(part) for part in field.parts]

    keys = sorted(set(ra.fields) | set(rb.fields))
    metadata = {k: [value(ra.fields[k]) if k in ra.fields else None, value(rb.fields[k]) if k in rb.fields else None]
                for k in keys if k not in ra.fields or k not in rb.fields or value(ra.fields[k]) != value(rb.fields[k])}
    ta, tb = {t.name: t for t in ra.tensors}, {t.name: t for t in rb.tensors}
    tensors = sorted(n for n in set(ta) | set(tb)
                     if n not in ta or n not in tb or ta[n].tensor_type != tb[n].tensor_type
                     or ta[n].data.tobytes() != tb[n].data.tobytes())
    return {"metadata": {k: [str(x)[:80] for x in v] for k, v in metadata.items()}, "tensors": tensors,
            "tensor_count": len(ta)}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench_folder(label: str, folder: Path, base: Path | None, kinds: list[str], rounds: int, verify: bool,
                 work: Path) -> list[dict]:
    rows = []
    for kind in kinds:
        runs: dict[str, list[dict]] = {"tuneforge": [], "hand": []}
        refused = None
        for r in range(rounds):
            order = ("tuneforge", "hand") if r % 2 == 0 else ("hand", "tuneforge")
            outs = {}
            for who in order:
                out = work / f"{label}.{kind}.{who}.gguf"
                out.unlink(missing_ok=True)
                # Start both alike: no earlier output still being written back to disk during the timed run.
                os.sync()
                try:
                    result = (run_tuneforge if who == "tuneforge" else run_by_hand)(folder, out, kind, base, work)
                except Exception as exc:  # the export refused: say why, skip the type
                    result = {"failed": True, "error": f"{type(exc).__name__}: {exc}"}
                if result.get("failed"):
                    refused = {"by": who, **result}
                    break
                runs[who].append(result)
                outs[who] = out
                inside = (f" (converter {result['converter_seconds']:.2f} s, the rest "
                          f"{result['seconds'] - result['converter_seconds']:.2f} s)" if "converter_seconds" in result else "")
                print(f"  {label} {kind} round {r + 1} {who:9s} {result['seconds']:6.2f} s wall, "
                      f"{result['cpu_seconds']:6.2f} CPU-s, {result['size'] / 1e6:.1f} MB{inside}", flush=True)
            if refused:
                break
            if runs["tuneforge"][-1]["sha256"] != runs["hand"][-1]["sha256"]:
                runs["hand"][-1]["differences"] = diff = gguf_differences(outs["tuneforge"], outs["hand"])
                print(f"  {label} {kind} round {r + 1}: files differ: metadata {diff['metadata']}, "
                      f"{len(diff['tensors'])} of {diff['tensor_count']} tensors", flush=True)
            outs["hand"].unlink()
            if r < rounds - 1:
                outs["tuneforge"].unlink()
        if refused:
            print(f"  {label} {kind}: REFUSED ({refused})", flush=True)
            rows.append({"model": label, "type": kind, "refused": refused})
            continue
        tf, hand = runs["tuneforge"], runs["hand"]
        pairs = [a["seconds"] / b["seconds"] for a, b in zip(tf, hand)]
        row = {
            "model": label, "type": kind,
            "tuneforge_s": [round(x["seconds"], 2) for x in tf], "hand_s": [round(x["seconds"], 2) for x in hand],
            "tuneforge_cpu_s": [round(x["cpu_seconds"], 2) for x in tf], "hand_cpu_s": [round(x["cpu_seconds"], 2) for x in hand],
            "tuneforge_median_s": median([x["seconds"] for x in tf]), "hand_median_s": median([x["seconds"] for x in hand]),
            "tuneforge_median_cpu_s": median([x["cpu_seconds"] for x in tf]),
            "hand_median_cpu_s": median([x["cpu_seconds"] for x in hand]),
            "paired_ratio_median": median(pairs),
            "tuneforge_min_s": min(x["seconds"] for x in tf), "hand_min_s": min(x["seconds"] for x in hand),
            "sha256_s": median([x["sha256_seconds"] for x in tf]),
            "tuneforge_converter_s": [round(x["converter_seconds"], 2) for x in tf],
            "tuneforge_outside_converter_s": [round(x["seconds"] - x["converter_seconds"], 2) for x in tf],
            "size": tf[-1]["size"], "hand_size": hand[-1]["size"],
            "identical_bytes": sum(a["sha256"] == b["sha256"] for a, b in zip(tf, hand)),
            "rounds": len(tf),
            "fallback_tensors": hand[-1]["fallback_tensors"],
            "differences": [x["differences"] for x in hand if "differences" in x],
        }
        row["ratio"] = row["tuneforge_median_s"] / row["hand_median_s"]
        row["cpu_ratio"] = row["tuneforge_median_cpu_s"] / row["hand_median_cpu_s"]
        if verify:
            from tuneforge.training.gguf import GGUFError, verify_gguf

            path = work / f"{label}.{kind}.tuneforge.gguf"
            try:
                check = verify_gguf(folder, path)
                row["verify"] = {k: check[k] for k in ("prompts", "agree", "next_token_agreement", "tokens_match",
                                                       "first_disagreement", "seconds")}
            except GGUFError as exc:
                row["verify"] = {"error": str(exc)}
            print(f"  {label} {kind} verify: {row['verify']}", flush=True)
        (work / f"{label}.{kind}.tuneforge.gguf").unlink(missing_ok=True)
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    head = ("| model | type | TuneForge s (median; runs) | by hand s (median; runs) | ratio of medians | paired ratio "
            "| ratio of minima | CPU-s TF / hand | size | same bytes | agree | next token | tokens match | verify s |")
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|"]
    for row in rows:
        if "refused" in row:
            lines.append(f"| {row['model']} | {row['type']} | refused by {row['refused']['by']}: "
                         f"{row['refused'].get('error') or row['refused'].get('last_line')} ||||||||||||")
            continue
        v = row.get("verify") or {}
        if "error" in v:
            agree = next_token = match = seconds = "—"
        elif v:
            agree, next_token = f"{v['agree']}/{v['prompts']}", f"{v['next_token_agreement']:.3f}"
            match, seconds = "yes" if v["tokens_match"] else "**no**", f"{v['seconds']:.0f}"
        else:
            agree = next_token = match = seconds = "not run"
        same = f"{row['identical_bytes']}/{row['rounds']}"
        if row["differences"]:
            diff = row["differences"][0]
            same += (f" (tensors: {row['rounds'] - sum(bool(d['tensors']) for d in row['differences'])}/{row['rounds']} "
                     f"identical; metadata differs: {', '.join(diff['metadata']) or 'none'})")
        size = f"{row['size'] / 1e6:.1f} MB" + ("" if row["size"] == row["hand_size"] else f" (hand {row['hand_size'] / 1e6:.1f})")
        lines.append(
            f"| {row['model']} | {row['type']} | {row['tuneforge_median_s']:.2f} ({', '.join(map(str, row['tuneforge_s']))}) "
            f"| {row['hand_median_s']:.2f} ({', '.join(map(str, row['hand_s']))}) | {row['ratio']:.3f} "
            f"| {row['paired_ratio_median']:.3f} | {row['tuneforge_min_s'] / row['hand_min_s']:.3f} "
            f"| {row['tuneforge_median_cpu_s']:.2f} / {row['hand_median_cpu_s']:.2f} "
            f"| {size} | {same} | {agree} | {next_token} | {match} | {seconds} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--types", default=",".join(DEFAULT_TYPES), help="comma-separated GGUF types (default f16,q8_0)")
    parser.add_argument("--all", action="store_true", help="every type the converter offers (gguf.OUT_TYPES)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--adapter", action="store_true", help="also a SmolLM2 LoRA adapter, merged then exported")
    parser.add_argument("--adapter-only", action="store_true", help="only the LoRA adapter rows")
    parser.add_argument("--no-verify", action="store_true", help="skip verify_gguf")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the verification (default 1)")
    parser.add_argument("--cache-dir", default=None, help="model cache (default: tuneforge's)")
    parser.add_argument("--out", default=None, help="results JSON (default: bench/results/gguf-export-<time>.json)")
    args = parser.parse_args(argv)

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    from tuneforge.training.gguf import OUT_TYPES, converter_out_types, find_converter
    from tuneforge.training.loading import default_cache_dir, resolve_base_model

    torch.set_num_threads(args.threads)
    kinds = list(OUT_TYPES) if args.all else [k for k in args.types.split(",") if k]
    unknown = [k for k in kinds if k not in converter_out_types()]
    if unknown:
        parser.error(f"types the converter does not offer: {', '.join(unknown)} (it offers {', '.join(converter_out_types())})")
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    smollm2 = resolve_base_model("SmolLM2-135M-Instruct", cache)
    converter = find_converter()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "nproc": os.cpu_count(), "uptime_before": uptime()},
        "converter": (converter.parent / "VERSION").read_text().strip(),
        "torch_threads_for_verify": args.threads, "rounds": args.rounds, "types": kinds, "rows": [],
    }
    print(f"{report['machine']['nproc']} cores; {report['machine']['uptime_before']}", flush=True)
    load1 = os.getloadavg()[0]
    if load1 > (os.cpu_count() or 1):
        print(f"WARNING: 1-minute load {load1:.2f} > {os.cpu_count()} cores: wall times will measure the neighbours",
              flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-gguf-") as tmp:
        work = Path(tmp)
        warm_page_cache(smollm2)
        if not args.adapter_only:
            print(f"SmolLM2-135M-Instruct ({smollm2}): {', '.join(kinds)} x {args.rounds} rounds", flush=True)
            report["rows"] += bench_folder("SmolLM2-135M-Instruct", smollm2, None, kinds, args.rounds, not args.no_verify,
                                           work)
        if args.adapter or args.adapter_only:
            adapter = make_adapter(smollm2, work / "smollm2-lora")
            print(f"SmolLM2 LoRA adapter (r8 q/v, random B): {', '.join(kinds)} x {args.rounds} rounds", flush=True)
            report["rows"] += bench_folder("SmolLM2 + LoRA", adapter, smollm2, kinds, args.rounds, not args.no_verify, work)
    report["machine"]["uptime_after"] = uptime()
    measured = [r for r in report["rows"] if "refused" not in r]
    report["target_met"] = all(r["ratio"] <= TARGET_RATIO for r in measured) if measured else None
    out = Path(args.out) if args.out else BENCH / "results" / f"gguf-export-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print()
    print(table(report["rows"]))
    print()
    print(f"before: {report['machine']['uptime_before']}\nafter:  {report['machine']['uptime_after']}")
    print(f"target (TuneForge <= {TARGET_RATIO}x the converter by hand, median wall time): "
          + {True: "met", False: "NOT met", None: "nothing measured"}[report["target_met"]])
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
