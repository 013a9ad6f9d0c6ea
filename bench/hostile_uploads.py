"""Benchmark: hostile dataset files through a real API process (uvicorn + embedded PostgreSQL).

    .venv/bin/python bench/hostile_uploads.py            # the figures in bench/README.md
    .venv/bin/python bench/hostile_uploads.py --read-mb 64

Uploads, each timed to its answer while the API's resident memory is sampled every 50 ms:
- the issue's zip: ~1 MiB, one .txt of "ab\\n" lines without a blank line, expanding to 1.0 GB (just
  under the old 1 GiB per-zip limit; it used to need ~26 GiB and quadratic time);
- the issue's Parquet bomb: 261 bytes decoding to 260 MiB (one dictionary value, run-length encoded);
then, on a second API started with the zip-ratio limit raised and a 1 GiB memory limit:
- a smaller "ab\\n" zip (--read-mb expanded, default 32) that is read through, to show the streaming
  chunker's memory (the ingest child's peak) and time;
- one 400 MB value in a ~10 KB Parquet file with the size limits raised: the child hits its memory
  limit, the API answers, then serves the next request.
Targets: API RSS growth <= 300 MB, time to a clear answer <= 60 s. "child" is the ingest child's
own RSS at its start and at its peak (ru_maxrss), from the API's log; it starts with the ~300 MB it
shares with the forkserver (ingest code, transformers, the default tokenizer).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from tuneforge import migrate  # noqa: E402
from tuneforge.devdb import EmbeddedPostgres, free_port  # noqa: E402


def ab_lines_zip(expanded_bytes: int) -> bytes:
    buffer = io.BytesIO()
    block = b"ab\n" * 1_000_000
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("notes.txt", "w", force_zip64=True) as member:
            for _ in range(max(1, expanded_bytes // len(block))):
                member.write(block)
    return buffer.getvalue()


def parquet_bomb(rows: int = 1 << 20, width: int = 256) -> bytes:
    table = pa.table({"text": pa.array(["x" * width]).take(pa.array([0] * rows))})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=rows, data_page_size=1 << 30,
                   max_rows_per_page=rows, write_batch_size=rows, write_statistics=False, write_page_index=False,
                   store_schema=False)
    return buffer.getvalue()


def one_huge_value(size: int) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": ["y" * size]}), buffer, compression="zstd", use_dictionary=False)
    return buffer.getvalue()


class Api:
    def __init__(self, root: Path, url: str, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        data = root / name
        data.mkdir()
        self.log_path = root / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tuneforge.web.app:create_app", "--factory", "--port", str(self.port)],
            cwd=REPO / "backend", stdout=self._log, stderr=subprocess.STDOUT,
            env=dict(os.environ, DATABASE_URL=url, TUNEFORGE_DATA_DIR=str(data), TUNEFORGE_ENVIRONMENT="development",
                     TUNEFORGE_SPA_DIR="", TUNEFORGE_RATE_LIMIT_ENABLED="false", **env),
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(240):
            try:
                httpx.get(self.base + "/api/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        tokens = httpx.post(self.base + "/api/auth/register", json={
            "email": f"{name}@example.com", "password": "correct horse battery", "display_name": "Bench"}).json()
        self.headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        self.datasets = f"{self.base}/api/teams/{tokens['user']['teams'][0]['id']}/datasets"
        self.process = psutil.Process(self.server.pid)

    def last_child(self) -> str:
        """The last ingest child's RSS at start -> peak, from the API's log line about it."""
        found = re.findall(r"RSS ([\d.]+) MB at start, ([\d.]+) MB at peak", self.log_path.read_text(errors="replace"))
        return f"{float(found[-1][0]):.0f} -> {float(found[-1][1]):.0f} MB" if found else "-"

    def upload(self, name: str, body: bytes) -> dict:
        baseline = peak = self.process.memory_info().rss
        done = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.wait(0.05):
                try:
                    peak = max(peak, self.process.memory_info().rss)
                except psutil.Error:
                    pass

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        start = time.perf_counter()
        response = httpx.post(self.datasets, headers=self.headers, files={"files": (name, body)}, timeout=3600)
        seconds = time.perf_counter() - start
        done.set()
        watcher.join()
        answer = response.json()
        detail = answer.get("detail") or (f"{answer['version']['rows']:,} rows, {answer['version']['status']}"
                                          if "version" in answer else str(answer)[:200])
        time.sleep(0.2)  # the log line is written as the answer goes out
        return {"name": name, "bytes": len(body), "status": response.status_code, "seconds": seconds,
                "api_mb": baseline / 2**20, "api_growth_mb": (peak - baseline) / 2**20, "child": self.last_child(),
                "answer": detail}

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait()
        self._log.close()


def show(result: dict) -> None:
    print(f"  {result['name']:<22} {result['bytes']:>10,} B  HTTP {result['status']}  {result['seconds']:6.1f} s  "
          f"API {result['api_mb']:.0f} MB +{result['api_growth_mb']:.0f} MB  child {result['child']}")
    print(f"      {result['answer'][:260]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--read-mb", type=int, default=32, help="expanded size of the zip that is read through")
    args = parser.parse_args()
    bomb_zip, bomb_parquet = ab_lines_zip(1_000_000_000), parquet_bomb()
    print(f"zip {len(bomb_zip):,} bytes -> {zipfile.ZipFile(io.BytesIO(bomb_zip)).infolist()[0].file_size:,}; "
          f"parquet {len(bomb_parquet):,} bytes -> 260 MiB decoded")
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # the embedded cluster runs as `postgres` when we are root
        os.environ.update({"TUNEFORGE_ENVIRONMENT": "development", "TUNEFORGE_DATA_DIR": str(root / "pgdata")})
        pg = EmbeddedPostgres(root / "pg", fast=True)
        url = pg.start()
        migrate.upgrade(url)
        try:
            print(f"\nload before: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
            api = Api(root, url, {}, "defaults")
            try:
                print("API with the default limits:")
                warm = b'{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n'
                show(api.upload("warm-up.jsonl", warm) | {"name": "warm-up.jsonl (1st)"})
                show(api.upload("warm-up-2.jsonl", warm.replace(b'"b"', b'"c"')) | {"name": "small.jsonl (2nd)"})
                show(api.upload("bomb.zip", bomb_zip))
                show(api.upload("bomb.parquet", bomb_parquet))
            finally:
                api.stop()
            raised = {"TUNEFORGE_DATASET_MAX_ZIP_RATIO": "1000000", "TUNEFORGE_DATASET_MAX_ROW_BYTES": str(8 << 30),
                      "TUNEFORGE_DATASET_MAX_ROW_GROUP_BYTES": str(8 << 30),
                      "TUNEFORGE_DATASET_MAX_EXPANDED_BYTES": str(8 << 30),
                      "TUNEFORGE_DATASET_INGEST_MEMORY_BYTES": str(1 << 30)}
            api = Api(root, url, raised, "raised")
            try:
                print("API with the size limits raised and a 1 GiB memory limit:")
                show(api.upload("warm-up.jsonl", warm) | {"name": "warm-up.jsonl (1st)"})
                show(api.upload(f"read-{args.read_mb}mb.zip", ab_lines_zip(args.read_mb * 1_000_000)))
                show(api.upload("huge-value.parquet", one_huge_value(400 << 20)))
                start = time.perf_counter()
                health = httpx.get(api.base + "/api/health", timeout=30)
                print(f"  then /api/health: HTTP {health.status_code} in {(time.perf_counter() - start) * 1000:.0f} ms")
            finally:
                api.stop()
            print(f"load after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
