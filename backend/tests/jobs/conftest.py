"""A live stack for job tests: a real API process (uvicorn), real worker processes, real training.

It uses its own database on the session's PostgreSQL cluster, because workers and several API
processes must see each other's commits (no per-test rollback here).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tuneforge import migrate
from tuneforge.devdb import free_port

CHAT_ROWS = [
    {"messages": [{"role": "user", "content": f"What is {a} plus {b}?"}, {"role": "assistant", "content": str(a + b)}]}
    for a in range(8)
    for b in range(8)
]


class LiveProcess:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}-{int(time.time() * 1000)}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL, like the OOM killer or a pulled plug."""
        self.stop(signal.SIGKILL, timeout=10)


@pytest.fixture(scope="session")
def live_db_url(pg_url: str) -> str:
    admin = pg_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"

    async def create() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute("DROP DATABASE IF EXISTS live_jobs")
            await conn.execute("CREATE DATABASE live_jobs")
        finally:
            await conn.close()

    asyncio.run(create())
    url = pg_url.rsplit("/", 1)[0] + "/live_jobs"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def live_env(live_db_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": live_db_url,
            "TUNEFORGE_DATA_DIR": str(data_dir / "live"),
            "TUNEFORGE_WORKER_HEARTBEAT_SECONDS": "1",
            "TUNEFORGE_WS_PING_SECONDS": "2",
            "TUNEFORGE_RATE_LIMIT_ENABLED": "false",
            "TUNEFORGE_MODAL_EXECUTOR": "local",
            "TUNEFORGE_LOG_LEVEL": "INFO",
        }
    )
    (data_dir / "live").mkdir(exist_ok=True)
    return env


@pytest.fixture(scope="session")
def log_dir(data_dir: Path) -> Path:
    folder = data_dir / "live-logs"
    folder.mkdir(exist_ok=True)
    return folder


def start_api(env: dict[str, str], port: int, log_dir: Path) -> LiveProcess:
    api = LiveProcess("api", [sys.executable, "-m", "tuneforge.cli", "api", "--port", str(port)], env, log_dir)
    deadline = time.time() + 60
    while time.time() < deadline:
        if api.process.poll() is not None:
            raise RuntimeError(f"the API exited:\n{api.log_tail()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return api
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    api.stop()
    raise RuntimeError(f"the API did not become healthy:\n{api.log_tail()}")


@pytest.fixture(scope="session")
def live_api(live_env: dict[str, str], log_dir: Path) -> Iterator[dict]:
    port = free_port()
    state = {"port": port, "url": f"http://127.0.0.1:{port}", "process": start_api(live_env, port, log_dir)}
    yield state
    state["process"].stop()
    print(f"--- api log tail ---\n{state['process'].log_tail()}")


@pytest.fixture
def start_worker(live_env: dict[str, str], log_dir: Path, live_api) -> Iterator[Callable[..., LiveProcess]]:
    workers: list[LiveProcess] = []

    def _start(name: str = "worker", env: dict[str, str] | None = None) -> LiveProcess:
        worker = LiveProcess(name, [sys.executable, "-m", "tuneforge.cli", "worker", "--name", name], {**live_env, **(env or {})}, log_dir)
        workers.append(worker)
        # Ready once /api/info lists it (it registers after detecting its devices). /api/info is for
        # signed-in users, so a throwaway observer account asks.
        observer = httpx.post(
            live_api["url"] + "/api/auth/register",
            json={"email": f"observer-{time.time_ns()}@example.com", "password": "correct horse battery"},
            timeout=30,
        )
        assert observer.status_code == 201, observer.text
        headers = {"Authorization": f"Bearer {observer.json()['access_token']}"}
        deadline = time.time() + 90
        while time.time() < deadline:
            if worker.process.poll() is not None:
                raise RuntimeError(f"worker {name} exited:\n{worker.log_tail()}")
            info = httpx.get(live_api["url"] + "/api/info", headers=headers, timeout=30).json()
            if any(w["name"] == name for w in info["workers"]):
                return worker
            time.sleep(0.3)
        raise RuntimeError(f"worker {name} did not register:\n{worker.log_tail()}")

    yield _start
    for worker in workers:
        worker.stop(timeout=90)
        # Shown by pytest when the test failed.
        print(f"--- {worker.name} log tail ---\n{worker.log_tail(30000)}")


class Api:
    """A signed-in user of the live API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.token = ""
        self.team_id = ""

    def register(self, email: str) -> Api:
        response = self.http.post("/api/auth/register", json={"email": email, "password": "correct horse battery", "display_name": "Tess"})
        assert response.status_code == 201, response.text
        body = response.json()
        self.token = body["access_token"]
        self.team_id = body["user"]["teams"][0]["id"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        return self

    def upload_jsonl(self, name: str, rows: list[dict]) -> str:
        content = "".join(json.dumps(r) + "\n" for r in rows).encode()
        response = self.http.post(
            f"/api/teams/{self.team_id}/datasets", files=[("files", (f"{name}.jsonl", content, "application/jsonl"))], data={"name": name}
        )
        assert response.status_code in (200, 201), response.text
        return response.json()["version"]["id"]

    def create_job(self, version_id: str, **overrides) -> dict:
        body = {
            "method": "sft",
            "adapter": "lora",
            "base_model": "tiny-llama",
            "dataset_version_id": version_id,
            "hyperparameters": {"max_steps": 12, "batch_size": 4, "save_steps": 4, "logging_steps": 1, "learning_rate": 5e-3},
            "data": {"max_length": 64, "validation_split": 0.1},
            "eval": {"generation_samples": 2, "max_new_tokens": 4},
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(body.get(key), dict):
                body[key] = {**body[key], **value}
            else:
                body[key] = value
        response = self.http.post(f"/api/teams/{self.team_id}/jobs", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def job(self, job_id: str) -> dict:
        return self.http.get(f"/api/jobs/{job_id}").json()

    def events(self, job_id: str) -> list[dict]:
        response = self.http.get(f"/api/jobs/{job_id}/events", params={"limit": 5000})
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(self, job_id: str, predicate: Callable[[dict], bool], timeout: float = 240, what: str = "") -> dict:
        deadline = time.time() + timeout
        job = self.job(job_id)
        while time.time() < deadline:
            job = self.job(job_id)
            if predicate(job):
                return job
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what or 'the job'}; last state: {json.dumps(job)[:2000]}")


@pytest.fixture
def api(live_api) -> Api:
    import uuid

    return Api(live_api["url"]).register(f"jobs-{uuid.uuid4().hex[:8]}@example.com")


# -- in-process job rows (rolled back per test) ------------------------------------------------------


@pytest.fixture
async def job_session(app):
    """An ORM session on the test's rolled-back transaction (the app's own session factory)."""
    async with app.state.sessionmaker() as session:
        yield session


@pytest.fixture
def make_job(job_session, register):
    """`await make_job(*path, **columns)`: a job row in the test user's team, born through the
    lifecycle (queued, with its first status event), then moved along `path` (legal transitions)
    to the status the test starts from."""
    import uuid

    from tuneforge.jobs import lifecycle
    from tuneforge.jobs.models import Executor, Job, JobStatus

    team: dict[str, uuid.UUID] = {}

    async def _make(*path: JobStatus, **columns) -> Job:
        if "id" not in team:
            team["id"] = uuid.UUID((await register()).team_id)
        fields = {"name": "a job", "method": "sft", "adapter": "lora", "base_model": "tiny-llama", "config": {},
                  "executor": Executor.local, **columns}
        job = Job(team_id=team["id"], **fields)
        await lifecycle.transition(session=job_session, job=job, to=JobStatus.queued, message="queued")
        for status in path:
            await lifecycle.transition(session=job_session, job=job, to=status, message=f"now {status.value}")
        await job_session.flush()
        return job

    return _make
