"""PostgreSQL restarts under a running job: the API answers 503 (not 500) while it is down and recovers
by itself, the worker keeps its job, and a WebSocket client gets every event exactly once."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tuneforge import migrate
from tuneforge.devdb import EmbeddedPostgres, free_port

from .conftest import CHAT_ROWS, Api, LiveProcess, start_api

TERMINAL = ("succeeded", "failed", "cancelled")
OUTAGE_S = 10
STEPS = 30


@pytest.fixture
def own_cluster(data_dir: Path) -> Iterator[EmbeddedPostgres]:
    """A cluster of its own: stopping it must not pull the database from under other tests."""
    pg = EmbeddedPostgres(data_dir / "postgres-restart", fast=True)
    url = pg.start()
    migrate.upgrade(url)
    yield pg
    pg.stop()


async def _collect(url: str, token: str, received: list[dict]) -> None:
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        deadline = time.time() + 180
        while time.time() < deadline:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
            if message["kind"] != "event":
                continue
            received.append(message)
            if message["type"] == "status" and message["data"]["status"] in TERMINAL:
                return


@pytest.mark.slow
def test_a_database_restart_under_a_running_job_loses_nothing(own_cluster, live_env, log_dir, data_dir):
    env = {**live_env, "DATABASE_URL": own_cluster.url, "TUNEFORGE_DATA_DIR": str(data_dir / "restart")}
    (data_dir / "restart").mkdir(exist_ok=True)
    port = free_port()
    api_process = start_api(env, port, log_dir)
    worker = LiveProcess("restart-worker", [sys.executable, "-m", "tuneforge.cli", "worker", "--name", "steadfast"], env, log_dir)
    collector: threading.Thread | None = None
    try:
        api = Api(f"http://127.0.0.1:{port}").register("restart@example.com")
        deadline = time.time() + 90
        while not any(w["name"] == "steadfast" for w in api.http.get("/api/info").json()["workers"]):
            assert time.time() < deadline and worker.process.poll() is None, f"the worker did not register:\n{worker.log_tail()}"
            time.sleep(0.3)
        version = api.upload_jsonl("sums-restart", CHAT_ROWS)
        job = api.create_job(
            version,
            hyperparameters={"max_steps": STEPS, "save_steps": 10},
            debug={"step_delay_s": 0.2},
            eval={"enabled": False},
        )
        received: list[dict] = []
        ws_url = f"ws://127.0.0.1:{port}/api/ws/jobs/{job['id']}"
        collector = threading.Thread(target=lambda: asyncio.run(_collect(ws_url, api.token, received)), daemon=True)
        collector.start()
        api.wait_for(job["id"], lambda j: j["step"] >= 3, timeout=120, what="training to start")

        own_cluster.stop()
        stopped_at = time.time()
        try:
            # While it is down: a clear 503, for a signed-in read and for the health probe.
            response = api.http.get(f"/api/jobs/{job['id']}")
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "DatabaseUnavailable"
            assert response.json()["detail"].startswith("The database is not reachable right now; TuneForge retries by itself")
            assert "Nothing you saved was lost" in response.json()["detail"]
            assert httpx.get(api.base_url + "/api/health", timeout=10).status_code == 503
            time.sleep(max(0.0, OUTAGE_S - (time.time() - stopped_at)))
            assert worker.process.poll() is None, f"the worker exited during the outage:\n{worker.log_tail()}"
        finally:
            own_cluster.start()  # same port: everyone reconnects by themselves

        done = api.wait_for(job["id"], lambda j: j["status"] in TERMINAL, timeout=120, what="the job to finish")
        assert done["status"] == "succeeded", (done["message"], worker.log_tail())
        assert done["attempt"] == 1, "the worker kept its job through the outage"
        assert worker.process.poll() is None

        collector.join(timeout=60)
        assert not collector.is_alive(), "the WebSocket client did not see the job finish"
        seqs = [m["seq"] for m in received]
        assert seqs == list(range(1, len(seqs) + 1)), "every event exactly once, in order"
        stored = api.events(job["id"])
        assert seqs == [e["seq"] for e in stored]
        steps = [e["data"]["step"] for e in stored if e["type"] == "metric"]
        assert steps == list(range(1, STEPS + 1)), "no training event was lost or stored twice"
        assert received[-1]["data"]["status"] == "succeeded"
    finally:
        worker.stop(timeout=60)
        api_process.stop()
        print(f"--- worker log tail ---\n{worker.log_tail(20000)}\n--- api log tail ---\n{api_process.log_tail(8000)}")
