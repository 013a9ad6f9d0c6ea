"""Benchmark: TuneForge's dataset validation+stats vs `datasets.load_dataset("json")` on one file.

    python bench/datasets_ingest.py                 # ~200 MB generated chat JSONL
    python bench/datasets_ingest.py --size-mb 1024  # ~1 GB (the issue's memory target)
    python bench/datasets_ingest.py --tokenizer     # also a run with tiny-llama token counts
    python bench/datasets_ingest.py --through-api   # also: upload it over HTTP to a real API process

Each contender runs in its own child process; peak RSS comes from the kernel (wait4's ru_maxrss),
"added" is peak minus the child's RSS after its imports. Throughput is file MB / wall seconds of the
work itself (imports excluded); CPU seconds (user+system, all threads, imports excluded) are printed
too because wall time on a shared machine mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one had by word "
         "but not what all were we when your can said there use an each which she do how their if will up other about "
         "out many then them these so some her would make like him into time has look two more write go see number no "
         "way could people my than first water been call who oil its now find long down day did get come made may part "
         "café naïve 東京 — “quoted” emoji 🙂").split()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def generate(path: Path, size_mb: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))) for _ in range(5000)]
    target = size_mb * (1 << 20)
    rows = 0
    with open(path, "w", encoding="utf-8") as out:
        written = 0
        while written < target:
            turns = []
            if rng.random() < 0.3:
                turns.append({"role": "system", "content": rng.choice(sentences)})
            for _ in range(rng.randint(1, 3)):
                turns.append({"role": "user", "content": " ".join(rng.choices(sentences, k=rng.randint(1, 3)))})
                turns.append({"role": "assistant", "content": " ".join(rng.choices(sentences, k=rng.randint(1, 6)))})
            line = json.dumps({"messages": turns}, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            rows += 1
    return rows


def child(which: str, path: Path, workdir: Path, tokenizer: bool) -> None:
    if which == "tuneforge":
        sys.path.insert(0, str(REPO / "backend"))
        from tuneforge.datasets.ingest import IngestOptions, Source, ingest

        options = IngestOptions()
        if tokenizer:
            from transformers import AutoTokenizer

            from tuneforge.training.loading import build_tiny_llama

            options.tokenizer = AutoTokenizer.from_pretrained(build_tiny_llama(workdir / "tiny-llama"))
            options.tokenizer_name, options.max_length = "tiny-llama", 2048
        baseline = rss_mb()
        import_cpu = sum(os.times()[:2])
        start = time.perf_counter()
        with open(workdir / "canonical.jsonl", "wb") as out:
            report = ingest([Source(path.name, path)], out, options=options)
        seconds = time.perf_counter() - start
        result = {"rows": report.rows, "kind": report.kind, "errors": report.summary["errors"],
                  "duplicates": report.stats["duplicates"], "total_length": report.stats["length"]["total"]}
    else:
        os.environ["HF_DATASETS_OFFLINE"] = "1"
        import datasets

        datasets.disable_progress_bars()
        baseline = rss_mb()
        import_cpu = sum(os.times()[:2])
        start = time.perf_counter()
        loaded = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(workdir / "hf-cache"))
        seconds = time.perf_counter() - start
        result = {"rows": loaded.num_rows}
    result["import_cpu_seconds"] = import_cpu
    print(json.dumps({"seconds": seconds, "baseline_rss_mb": baseline, **result}))


def measure(which: str, path: Path, tokenizer: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{which}-") as workdir:
        command = [sys.executable, __file__, "--child", which, "--file", str(path), "--workdir", workdir]
        if tokenizer:
            command.append("--tokenizer")
        process = subprocess.Popen(command, stdout=subprocess.PIPE)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{which} child failed")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime - result["import_cpu_seconds"]
    result["added_rss_mb"] = result["peak_rss_mb"] - result["baseline_rss_mb"]
    result["mb_per_s"] = path.stat().st_size / (1 << 20) / result["seconds"]
    return result


def through_api(path: Path) -> dict:
    """Upload `path` to a real uvicorn API (embedded PostgreSQL) with default options (tiny-llama token
    stats); a tiny warm-up upload first loads the tokenizer, so "added" is what the big upload costs."""
    import threading

    import httpx
    import psutil

    sys.path.insert(0, str(REPO / "backend"))
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # the embedded cluster runs as `postgres` when we are root
        os.environ.update({"TUNEFORGE_ENVIRONMENT": "development", "TUNEFORGE_DATA_DIR": str(root / "data"),
                           "TUNEFORGE_SPA_DIR": ""})
        from tuneforge import migrate
        from tuneforge.devdb import EmbeddedPostgres, free_port

        pg = EmbeddedPostgres(root / "pg", fast=True)
        url = pg.start()
        migrate.upgrade(url)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tuneforge.web.app:create_app", "--factory", "--port", str(port)],
            cwd=REPO / "backend", env=dict(os.environ, DATABASE_URL=url),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(240):
                try:
                    httpx.get(base + "/api/health", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.5)
            tokens = httpx.post(base + "/api/auth/register", json={
                "email": "bench@example.com", "password": "correct horse battery", "display_name": "Bench"}).json()
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            datasets_url = f"{base}/api/teams/{tokens['user']['teams'][0]['id']}/datasets"
            warm = b'{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n'
            httpx.post(datasets_url, headers=headers, files={"files": ("warm.jsonl", warm)}, timeout=600)
            process = psutil.Process(server.pid)
            baseline = peak = process.memory_info().rss
            done = threading.Event()

            def watch() -> None:
                nonlocal peak
                while not done.wait(0.2):
                    peak = max(peak, process.memory_info().rss)

            threading.Thread(target=watch, daemon=True).start()
            start = time.perf_counter()
            with open(path, "rb") as handle:
                response = httpx.post(datasets_url, headers=headers, files={"files": (path.name, handle)}, timeout=3600)
            seconds = time.perf_counter() - start
            done.set()
            version = response.json()["version"]
            return {"status": response.status_code, "rows": version["rows"], "seconds": seconds,
                    "baseline_rss_mb": baseline / 2**20, "peak_rss_mb": peak / 2**20,
                    "added_rss_mb": (peak - baseline) / 2**20,
                    "estimated_rows": version["stats"]["length"]["estimated_rows"]}
        finally:
            server.terminate()
            server.wait()
            pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--tokenizer", action="store_true", help="also run TuneForge with tiny-llama token counts")
    parser.add_argument("--keep", type=Path, help="reuse/keep the generated file at this path")
    parser.add_argument("--through-api", action="store_true", help="also upload the file to a real API process")
    parser.add_argument("--child", choices=["tuneforge", "datasets"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.workdir, args.tokenizer)
        return

    with tempfile.TemporaryDirectory(prefix="bench-datasets-") as tmp:
        path = args.keep or Path(tmp) / "chat.jsonl"
        if not path.exists():
            start = time.perf_counter()
            rows = generate(path, args.size_mb)
            print(f"generated {path.stat().st_size / (1 << 20):.0f} MB, {rows:,} chat rows in {time.perf_counter() - start:.0f} s")
        runs = [("TuneForge validation+stats", measure("tuneforge", path))]
        if args.tokenizer:
            runs.append(("TuneForge + tiny-llama tokens", measure("tuneforge", path, tokenizer=True)))
        runs.append(('datasets.load_dataset("json")', measure("datasets", path)))
        size = path.stat().st_size / (1 << 20)
        print(f"\nfile: {size:.0f} MB, {runs[0][1]['rows']:,} rows; CPU cores: {os.cpu_count()}")
        print(f"{'':32} {'MB/s':>7} {'seconds':>8} {'CPU s':>7} {'MB/CPU-s':>9} {'peak RSS MB':>12} {'added RSS MB':>13}")
        for name, r in runs:
            print(f"{name:32} {r['mb_per_s']:7.1f} {r['seconds']:8.1f} {r['cpu_seconds']:7.1f} "
                  f"{size / r['cpu_seconds']:9.1f} {r['peak_rss_mb']:12.0f} {r['added_rss_mb']:13.0f}")
        print("(MB/s is wall-clock; on a shared machine MB per CPU-second is the steadier figure.)")
        if args.through_api:
            r = through_api(path)
            print(f"\nHTTP upload to the API (HTTP {r['status']}, {r['rows']:,} rows, token stats with "
                  f"{r['estimated_rows']:,} rows estimated): {size / r['seconds']:.1f} MB/s, {r['seconds']:.0f} s, "
                  f"server RSS {r['baseline_rss_mb']:.0f} -> peak {r['peak_rss_mb']:.0f} MB "
                  f"(added {r['added_rss_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
