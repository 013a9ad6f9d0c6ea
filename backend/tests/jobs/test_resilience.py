"""Nothing is lost when a worker or an API process dies."""

from __future__ import annotations

import asyncio
import json
import time

import websockets

from .conftest import CHAT_ROWS, start_api

TERMINAL = ("succeeded", "failed", "cancelled")


def test_killed_worker_job_is_resumed_from_its_checkpoint_by_another_worker(api, start_worker):
    first = start_worker("doomed")
    version = api.upload_jsonl("sums-resume", CHAT_ROWS)
    job = api.create_job(
        version, hyperparameters={"max_steps": 24, "save_steps": 3}, debug={"step_delay_s": 0.4}, eval={"enabled": False}
    )
    api.wait_for(job["id"], lambda j: j["last_checkpoint"] and j["step"] >= 7, what="a checkpoint after a few steps")
    first.kill()  # SIGKILL: no clean-up of any kind; the trainer dies with it
    # Any live worker notices the silent one (no heartbeat) and takes its job over.
    start_worker("rescuer")
    done = api.wait_for(job["id"], lambda j: j["status"] in TERMINAL, timeout=240, what="the resumed job to finish")
    assert done["status"] == "succeeded", done
    assert done["attempt"] == 2 and done["worker_name"] == "rescuer"

    events = api.events(job["id"])
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    statuses = [e["data"]["status"] for e in events if e["type"] == "status"]
    assert "interrupted" in statuses and statuses[-1] == "succeeded"
    first_attempt = [e["data"]["step"] for e in events if e["type"] == "metric" and e["attempt"] == 1]
    second_attempt = [e["data"]["step"] for e in events if e["type"] == "metric" and e["attempt"] == 2]
    # The second run starts right after a checkpoint the first one wrote, and the steps join up.
    assert second_attempt[0] - 1 in range(3, max(first_attempt) + 1, 3)
    assert sorted(set(first_attempt) | set(second_attempt)) == list(range(1, 25))
    assert second_attempt == list(range(second_attempt[0], 25))


async def _collect(url: str, token: str, after_seq: int, stop_after: int | None, until_terminal: bool) -> list[dict]:
    received: list[dict] = []
    async with websockets.connect(url + f"?after_seq={after_seq}") as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        deadline = time.time() + 240
        while time.time() < deadline:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
            if message["kind"] != "event":
                continue
            received.append(message)
            if stop_after is not None and len(received) >= stop_after:
                return received
            if until_terminal and message["type"] == "status" and message["data"]["status"] in TERMINAL:
                return received
    return received


def test_websocket_client_gets_every_event_once_across_an_api_restart(api, start_worker, live_api, live_env, log_dir):
    start_worker("steady")
    version = api.upload_jsonl("sums-ws", CHAT_ROWS)
    job = api.create_job(version, hyperparameters={"max_steps": 30}, debug={"step_delay_s": 0.25}, eval={"enabled": False})
    ws_url = live_api["url"].replace("http", "ws") + f"/api/ws/jobs/{job['id']}"
    api.wait_for(job["id"], lambda j: j["step"] >= 3, what="training to start")

    first = asyncio.run(_collect(ws_url, api.token, 0, stop_after=6, until_terminal=False))
    # The API process dies and comes back on the same address while the job keeps running.
    live_api["process"].stop()
    time.sleep(2)
    live_api["process"] = start_api(live_env, live_api["port"], log_dir)
    rest = asyncio.run(_collect(ws_url, api.token, first[-1]["seq"], stop_after=None, until_terminal=True))

    seqs = [m["seq"] for m in first + rest]
    assert seqs == list(range(1, len(seqs) + 1)), "every event exactly once, in order"
    stored = api.events(job["id"])
    assert seqs == [e["seq"] for e in stored]
    assert rest[-1]["data"]["status"] == "succeeded"


def test_websocket_refuses_strangers(api, live_api):
    import httpx

    other = httpx.post(
        live_api["url"] + "/api/auth/register", json={"email": f"x{time.time_ns()}@example.com", "password": "long enough pw"}
    ).json()
    version = api.upload_jsonl("sums-private", CHAT_ROWS[:8])
    job = api.create_job(version, hyperparameters={"precision": "bf16"})  # stays queued: no GPU worker
    url = live_api["url"].replace("http", "ws") + f"/api/ws/jobs/{job['id']}"

    async def attempt(token: str) -> int:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            try:
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                    if message["kind"] == "synced":
                        return 1000
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code

    assert asyncio.run(attempt("not-a-token")) == 4401
    assert asyncio.run(attempt(other["access_token"])) == 4404
    assert asyncio.run(attempt(api.token)) == 1000
    api.http.post(f"/api/jobs/{job['id']}/cancel")
