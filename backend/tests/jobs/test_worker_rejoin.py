"""A worker paused for longer than its heartbeat allows (SIGSTOP, a suspended VM) is declared dead
by the others; when it wakes up it rejoins — registered again, taking work — instead of exiting."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from .conftest import CHAT_ROWS

TERMINAL = ("succeeded", "failed", "cancelled")


def _listed(api, name: str) -> bool:
    info = api.http.get("/api/info")
    assert info.status_code == 200, info.text
    return any(w["name"] == name for w in info.json()["workers"])


@pytest.mark.slow
def test_a_paused_worker_rejoins_instead_of_exiting(api, start_worker):
    sleeper = start_worker("sleeper")
    # A second worker sweeps for stalled workers while the first one sleeps, and prunes it.
    watcher = start_worker("watcher")

    sleeper.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(8)  # heartbeat 1 s: declared dead after 3 s, pruned by the watcher's next sweep
        assert not _listed(api, "sleeper"), "a paused worker is not listed as live"
    finally:
        sleeper.process.send_signal(signal.SIGCONT)

    deadline = time.time() + 20
    while time.time() < deadline and not _listed(api, "sleeper"):
        assert sleeper.process.poll() is None, f"the worker exited:\n{sleeper.log_tail()}"
        time.sleep(0.5)
    time.sleep(4)  # a few more heartbeats and fetch polls: it must not stop after rejoining
    assert sleeper.process.poll() is None, f"the worker exited (code {sleeper.process.returncode}):\n{sleeper.log_tail()}"
    assert _listed(api, "sleeper")

    # It still takes work: with the watcher gone, the next job can only run on the sleeper.
    watcher.stop()
    version = api.upload_jsonl("sums-rejoin", CHAT_ROWS[:16])
    job = api.create_job(
        version, hyperparameters={"max_steps": 2, "save_steps": 100}, eval={"enabled": False}
    )
    done = api.wait_for(job["id"], lambda j: j["status"] in TERMINAL, timeout=120, what="the job on the rejoined worker")
    assert done["status"] == "succeeded", (done["message"], sleeper.log_tail())
    assert done["worker_name"] == "sleeper"
    try:
        assert httpx.get(api.base_url + "/api/health", timeout=10).status_code == 200
    except httpx.HTTPError as exc:  # pragma: no cover — shown with the failure
        raise AssertionError(f"the API stopped answering: {exc}") from exc
