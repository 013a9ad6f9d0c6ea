"""Platform overhead: the same SFT+LoRA spec through the API and a worker vs `tuneforge train` directly.

    .venv/bin/python bench/platform_overhead.py [--steps 60] [--rounds 2]

Both paths train tiny-llama for real on this machine, alternating. Figures:
- submit-to-first-step: API: POST /jobs until the first metric event's write time; CLI: process
  start until its first metric event (target: the platform adds <= 2 s);
- steady-state seconds per step: median gap between metric events after the first 5 steps
  (target ratio platform / direct <= 1.02).
The worker is started (and warm) before the first job, as it is in a running deployment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from tuneforge import migrate  # noqa: E402
from tuneforge.devdb import EmbeddedPostgres, free_port  # noqa: E402

ROWS = [
    {"messages": [{"role": "user", "content": f"What is {a} plus {b}? Answer briefly."}, {"role": "assistant", "content": f"{a} plus {b} is {a + b}."}]}
    for a in range(20)
    for b in range(20)
]
HYPER = {"batch_size": 8, "save_steps": 1000, "logging_steps": 1, "learning_rate": 1e-3}
DATA = {"max_length": 128, "validation_split": 0.0}


def steady_step(times: list[float]) -> float:
    gaps = [b - a for a, b in zip(times[5:], times[6:])]
    return statistics.median(gaps)


def run_direct(tmp: Path, steps: int, data_file: Path, cache: Path) -> dict:
    spec = {
        "method": "sft", "adapter": "lora", "base_model": "tiny-llama", "data": {"sources": [{"path": str(data_file)}], **DATA},
        "hyperparameters": {**HYPER, "max_steps": steps}, "eval": {"enabled": False},
        "output_dir": str(tmp / f"direct-{time.time_ns()}"), "model_cache_dir": str(cache),
    }
    spec_path = tmp / "direct-spec.json"
    spec_path.write_text(json.dumps(spec))
    started = time.time()
    process = subprocess.run(
        [sys.executable, "-m", "tuneforge.training", "run", str(spec_path)], capture_output=True, text=True, check=False
    )
    metrics = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{") and '"metric"' in line]
    if not metrics:
        raise RuntimeError(f"direct run produced no metrics:\n{process.stderr[-3000:]}")
    times = [m["time"] for m in metrics if m["type"] == "metric"]
    return {"first_step_s": times[0] - started, "s_per_step": steady_step(times)}


def run_platform(http: httpx.Client, team_id: str, version_id: str, steps: int) -> dict:
    started = time.time()
    response = http.post(
        f"/api/teams/{team_id}/jobs",
        json={"method": "sft", "adapter": "lora", "base_model": "tiny-llama", "dataset_version_id": version_id,
              "data": DATA, "hyperparameters": {**HYPER, "max_steps": steps}, "eval": {"enabled": False}},
    )
    response.raise_for_status()
    job_id = response.json()["id"]
    while http.get(f"/api/jobs/{job_id}").json()["status"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(0.5)
    events = http.get(f"/api/jobs/{job_id}/events", params={"limit": 5000}).json()
    times = [e["data"]["time"] for e in events if e["type"] == "metric"]
    return {"first_step_s": times[0] - started, "s_per_step": steady_step(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tuneforge-overhead-"))
    tmp.chmod(0o755)
    pg = EmbeddedPostgres(tmp / "pg", fast=True)
    url = pg.start()
    migrate.upgrade(url)
    data_dir = tmp / "data"
    env = dict(os.environ, DATABASE_URL=url, TUNEFORGE_DATA_DIR=str(data_dir), TUNEFORGE_RATE_LIMIT_ENABLED="false",
               TUNEFORGE_LOG_LEVEL="WARNING", TUNEFORGE_WORKER_HEARTBEAT_SECONDS="2")
    port = free_port()
    api = subprocess.Popen([sys.executable, "-m", "tuneforge.cli", "api", "--port", str(port)], env=env)
    worker = subprocess.Popen([sys.executable, "-m", "tuneforge.cli", "worker", "--name", "bench"], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        http = httpx.Client(base_url=base, timeout=120)
        for _ in range(300):
            try:
                if http.get("/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        account = http.post(
            "/api/auth/register", json={"email": "overhead@example.com", "password": "correct-horse-battery-staple"}
        ).json()
        http.headers["Authorization"] = f"Bearer {account['access_token']}"
        # /api/info is for signed-in users: wait for the worker with the account's token.
        for _ in range(300):
            if any(w["name"] == "bench" for w in http.get("/api/info").json()["workers"]):
                break
            time.sleep(0.3)
        team_id = account["user"]["teams"][0]["id"]
        content = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
        upload = http.post(f"/api/teams/{team_id}/datasets", files=[("files", ("sums.jsonl", content))], data={"name": "sums"}).json()
        version_id = upload["version"]["id"]
        data_file = tmp / "sums.jsonl"
        data_file.write_bytes(content)
        cache = data_dir / "models"

        # Warm-up of both paths (model build, page cache), not counted.
        run_direct(tmp, 8, data_file, cache)
        run_platform(http, team_id, version_id, 8)

        direct, platform = [], []
        for _ in range(args.rounds):
            direct.append(run_direct(tmp, args.steps, data_file, cache))
            platform.append(run_platform(http, team_id, version_id, args.steps))

        def med(results: list[dict], key: str) -> float:
            return statistics.median(r[key] for r in results)

        d_first, p_first = med(direct, "first_step_s"), med(platform, "first_step_s")
        d_step, p_step = med(direct, "s_per_step"), med(platform, "s_per_step")
        print(f"\nPlatform overhead, SFT+LoRA tiny-llama, batch 8 x len 128, {args.steps} steps, {args.rounds} alternating rounds")
        print(f"  submit -> first step   direct {d_first:6.2f} s   platform {p_first:6.2f} s   added {p_first - d_first:+.2f} s (target <= 2 s)")
        print(f"  steady s/step          direct {d_step:6.4f} s   platform {p_step:6.4f} s   ratio {p_step / d_step:.3f} (target <= 1.02)")
    finally:
        worker.terminate()
        api.terminate()
        for process in (worker, api):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
