"""Event latency: from a training process writing an event line to a WebSocket client receiving it.

    .venv/bin/python bench/event_latency.py [--jobs 20] [--clients 200] [--rate 10] [--seconds 15]

The whole path is the platform's own: trainer stdout -> worker relay (tuneforge.worker.supervisor) ->
job_event rows + NOTIFY -> the API process's LISTEN hub -> WebSocket. Only the trainer is a
stand-in (bench/_fake_trainer.py) that writes metric lines at a fixed rate with its write time, so
20 jobs fit on this 2-core machine. One API process serves every client.

Baseline, measured in the same run: a bare PostgreSQL NOTIFY -> LISTEN round trip (the floor any
database-backed fan-out pays).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import websockets

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from tuneforge import migrate  # noqa: E402
from tuneforge.devdb import EmbeddedPostgres, free_port  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def notify_baseline(dsn: str, samples: int = 500) -> list[float]:
    listener = await asyncpg.connect(dsn)
    sender = await asyncpg.connect(dsn)
    received: asyncio.Queue = asyncio.Queue()
    await listener.add_listener("bench", lambda *args: received.put_nowait(time.time()))
    latencies = []
    for _ in range(samples):
        sent = time.time()
        await sender.execute("SELECT pg_notify('bench', 'x')")
        latencies.append((await received.get() - sent) * 1000)
    await listener.close()
    await sender.close()
    return latencies


async def create_jobs(dsn: str, team_id: str, user_id: str, count: int) -> list[str]:
    conn = await asyncpg.connect(dsn)
    ids = []
    for i in range(count):
        job_id = str(uuid.uuid4())
        config = {"method": "sft", "adapter": "lora", "base_model": "tiny-llama", "data": {"files": {"train": "bench/none.jsonl"}}}
        await conn.execute(
            """INSERT INTO job (id, team_id, created_by, name, status, method, adapter, base_model, config, executor)
               VALUES ($1, $2, $3, $4, 'queued', 'sft', 'lora', 'tiny-llama', $5::jsonb, 'local')""",
            uuid.UUID(job_id), uuid.UUID(team_id), uuid.UUID(user_id), f"bench-{i}", json.dumps(config),
        )
        ids.append(job_id)
    await conn.close()
    return ids


async def watch(url: str, token: str, latencies: list[float], ready: asyncio.Event, counter: list[int], done: asyncio.Event) -> None:
    async with websockets.connect(url, max_queue=None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        while True:
            message = json.loads(await ws.recv())
            if message["kind"] == "synced":
                counter[0] += 1
                if counter[0] == counter[1]:
                    ready.set()
                break
        while not done.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=1)
            except TimeoutError:
                continue
            now = time.time()
            message = json.loads(raw)
            if message.get("kind") == "event" and message["type"] == "metric":
                written = message["data"]["time"]
                stored = datetime.fromisoformat(message["created_at"]).timestamp()
                latencies.append((written, (now - written) * 1000, (stored - written) * 1000))


async def main_async(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="tuneforge-bench-"))
    tmp.chmod(0o755)
    pg = EmbeddedPostgres(tmp / "pg", fast=True)
    url = await asyncio.to_thread(pg.start)  # both run their own event loop
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    await asyncio.to_thread(migrate.upgrade, url)
    env = dict(os.environ, DATABASE_URL=url, TUNEFORGE_DATA_DIR=str(tmp / "data"), TUNEFORGE_RATE_LIMIT_ENABLED="false",
               TUNEFORGE_LOG_LEVEL="WARNING", TUNEFORGE_ENVIRONMENT="development")
    port = free_port()
    api = subprocess.Popen([sys.executable, "-m", "tuneforge.cli", "api", "--port", str(port)], env=env)
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        account = httpx.post(base + "/api/auth/register", json={"email": "bench@example.com", "password": "correct-horse-battery-staple"}).json()
        token, user = account["access_token"], account["user"]
        job_ids = await create_jobs(dsn, user["teams"][0]["id"], user["id"], args.jobs)

        baseline = await notify_baseline(dsn)

        latencies: list[tuple[float, float, float]] = []  # (write time, latency ms, write->stored ms)
        ready, done = asyncio.Event(), asyncio.Event()
        counter = [0, args.clients]
        clients = [
            asyncio.create_task(
                watch(f"ws://127.0.0.1:{port}/api/ws/jobs/{job_ids[i % args.jobs]}", token, latencies, ready, counter, done)
            )
            for i in range(args.clients)
        ]
        await asyncio.wait_for(ready.wait(), timeout=120)
        worker = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "_latency_worker.py"), str(args.rate), str(args.seconds), *job_ids], env=env
        )
        await asyncio.to_thread(worker.wait, args.seconds + 120)
        await asyncio.sleep(2)
        done.set()
        await asyncio.gather(*clients, return_exceptions=True)

        expected = int(args.jobs * args.rate * args.seconds * (args.clients // args.jobs))
        first_write = min(t for t, _, _ in latencies)
        everything = [ms for _, ms, _ in latencies]
        # The first seconds include starting 20 trainer processes at once on 2 cores.
        steady = [ms for t, ms, _ in latencies if t >= first_write + args.warmup]
        to_store = [ms for t, _, ms in latencies if t >= first_write + args.warmup]
        print(f"\nEvent latency, trainer write -> WebSocket receive ({args.jobs} jobs x {args.rate} events/s, "
              f"{args.clients} clients, one API process, {os.cpu_count()} cores)")
        print(f"  messages received   {len(latencies):,} (expected {expected:,})")
        print(f"  platform, steady    p50 {statistics.median(steady):7.1f} ms   p99 {percentile(steady, 99):7.1f} ms   "
              f"max {max(steady):7.1f} ms   (events written {args.warmup:g} s after the first)")
        print(f"  platform, all       p50 {statistics.median(everything):7.1f} ms   p99 {percentile(everything, 99):7.1f} ms   "
              f"max {max(everything):7.1f} ms   (including the start of 20 trainers)")
        print(f"  of which worker     p50 {statistics.median(to_store):7.1f} ms   p99 {percentile(to_store, 99):7.1f} ms   "
              "(trainer write -> event stored by the worker)")
        print(f"  baseline            p50 {statistics.median(baseline):7.1f} ms   p99 {percentile(baseline, 99):7.1f} ms   "
              "(bare NOTIFY -> LISTEN, same database)")
        print(f"  target p99 <= 100 ms (steady): {'met' if percentile(steady, 99) <= 100 else 'NOT met'}")
    finally:
        if worker and worker.poll() is None:
            worker.kill()
        api.terminate()
        api.wait(timeout=30)
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10, help="events per second per job")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3, help="seconds of start-up left out of the steady figures")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
