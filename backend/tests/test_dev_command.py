"""`tuneforge dev` (what `make run` runs) keeps the platform up when its worker dies: it restarts the
worker with a backoff and leaves the API and the embedded PostgreSQL alone; Ctrl-C stops everything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tuneforge.devdb import EmbeddedPostgres, free_port


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the direct children of `pid`."""
    try:
        import psutil
    except ImportError:  # /proc is enough on Linux
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                found.append((int(entry.name), cmdline))
        return found
    return [(child.pid, " ".join(child.cmdline())) for child in psutil.Process(pid).children()]


def _worker_pid(dev_pid: int) -> int | None:
    workers = [pid for pid, cmdline in _children(dev_pid) if "tuneforge.cli worker" in cmdline]
    return workers[0] if workers else None


@pytest.mark.slow
def test_dev_restarts_a_killed_worker_and_keeps_the_api_and_database_up(data_dir: Path):
    home = Path(tempfile.mkdtemp(prefix="dev-", dir=data_dir))
    home.chmod(0o755)  # the embedded cluster runs as `postgres` when we are root
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "TUNEFORGE_DATABASE_URL")}
    env.update(
        {
            "TUNEFORGE_DATA_DIR": str(home),
            "TUNEFORGE_WORKER_HEARTBEAT_SECONDS": "1",
            "TUNEFORGE_RATE_LIMIT_ENABLED": "false",
        }
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = home / "dev.log"
    log = open(log_path, "wb")
    dev = subprocess.Popen(
        [sys.executable, "-m", "tuneforge.cli", "dev", "--no-models", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    output = lambda: log_path.read_text(errors="replace")  # noqa: E731

    def wait(what: str, check, timeout: float = 60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert dev.poll() is None, f"`tuneforge dev` exited (code {dev.returncode}) waiting for {what}:\n{output()[-5000:]}"
            try:
                result = check()
            except httpx.HTTPError:
                result = None
            if result:
                return result
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}:\n{output()[-5000:]}")

    try:
        wait("the API", lambda: httpx.get(base + "/api/health", timeout=2).status_code == 200, timeout=90)
        account = httpx.post(
            base + "/api/auth/register", json={"email": "dev@example.com", "password": "correct-horse-battery-staple"}, timeout=30
        )
        assert account.status_code == 201, account.text
        headers = {"Authorization": f"Bearer {account.json()['access_token']}"}

        def workers() -> list[str]:
            info = httpx.get(base + "/api/info", headers=headers, timeout=10)
            return [w["name"] for w in info.json()["workers"]] if info.status_code == 200 else []

        first = wait("the worker to register", workers)
        worker_pid = wait("the worker process", lambda: _worker_pid(dev.pid))

        os.kill(worker_pid, signal.SIGKILL)  # like the OOM killer
        wait("the restart notice", lambda: "restarting it in" in output(), timeout=15)
        assert re.search(r"The worker stopped \(killed, signal 9 — the system may be out of memory\); restarting it in 1 s\.", output())
        assert "stopping the rest" not in output()
        assert httpx.get(base + "/api/health", timeout=10).status_code == 200, "the API and its database stay up"

        # A new worker process (a new name: host-pid) registers and is listed.
        wait("a new worker", lambda: [name for name in workers() if name not in first], timeout=60)
        assert _worker_pid(dev.pid) not in (None, worker_pid)
        assert dev.poll() is None

        # Ctrl-C stops everything, the database included.
        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=60) == 0, output()[-3000:]
        assert "Stopped." in output()
        assert not EmbeddedPostgres(home / "postgres").running()
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()
        EmbeddedPostgres(home / "postgres").stop()
        log.close()
