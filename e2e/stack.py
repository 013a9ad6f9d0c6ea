"""The processes of a running TuneForge, started for the end-to-end suite and always stopped again.

Plain functions and one small process class, so fixtures stay short and later tests can reuse
them. Nothing here knows about pytest.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = REPO_ROOT / ".venv" / "bin"
# The built SPA nginx serves; TUNEFORGE_E2E_SPA_DIR points at another build (e.g. one made elsewhere).
SPA_DIST = Path(os.environ.get("TUNEFORGE_E2E_SPA_DIR") or REPO_ROOT / "frontend" / "dist").resolve()
NGINX_TEMPLATE = REPO_ROOT / "nginx" / "nginx.conf"
# The template's variables: the same list nginx/render-nginx-conf.sh hands to envsubst in the web
# image (test_deploy_files.py checks the two agree with the template).
NGINX_TEMPLATE_VARIABLES = ("NGINX_LISTEN", "NGINX_API_UPSTREAM", "NGINX_SPA_ROOT", "NGINX_RUNTIME_DIR")

# A token the fake Hub knows; whoami answers "alice" for it.
HF_TOKEN = "hf_e2eTestTokenForAlice9Xk4"
HF_USER = "alice"


# Every process started here, so a failing test can save their logs and nothing outlives pytest.
RUNNING: list[ManagedProcess] = []


@dataclass(frozen=True)
class Stack:
    """The running platform as a test sees it."""

    base_url: str  # through nginx: what a browser uses
    api_url: str  # the API process itself, bypassing nginx
    api: ManagedProcess
    nginx: ManagedProcess
    hub_url: str
    ollama_url: str  # the loopback Ollama (TUNEFORGE_OLLAMA_URLS)
    env: dict[str, str]  # the environment the tuneforge processes run with
    workdir: Path


@dataclass(frozen=True)
class LoopbackOllama:
    """The session's loopback Ollama: its URL, and the running fake (None, with the reason, when it did not start)."""

    url: str
    fake: object | None  # tuneforge.testing.fake_ollama.FakeOllama
    problem: str | None


@dataclass(frozen=True)
class User:
    name: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class StackError(RuntimeError):
    """A process of the stack did not come up; the message carries its log tail."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_template(text: str, values: Mapping[str, str], variables: tuple[str, ...] = NGINX_TEMPLATE_VARIABLES) -> str:
    """`envsubst '${A} ${B}'`: replace $A / ${A} for the listed names only, leave every other $ alone."""
    missing = [name for name in variables if name not in values]
    if missing:
        raise ValueError(f"no value for template variable(s): {', '.join(missing)}")
    names = "|".join(re.escape(name) for name in variables)
    pattern = re.compile(rf"\$(?:\{{({names})\}}|({names})(?![A-Za-z0-9_]))")
    return pattern.sub(lambda m: values[m.group(1) or m.group(2)], text)


class ManagedProcess:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, args: list[str], *, log_path: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        self.name = name
        self.args = args
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # its own group: stop() reaches its children too
            )
        RUNNING.append(self)
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_for_log(self, text: str, timeout: float = 10.0) -> None:
        """Log lines are written after the response is sent: give them a moment to land."""
        wait_until(lambda: text in self.log_path.read_text(errors="replace"), timeout=timeout, what=f"{text!r} in the {self.name} log")

    def check_alive(self) -> None:
        if not self.alive:
            code = self.popen.returncode if self.popen else None
            raise StackError(f"{self.name} exited (code {code}). Last lines of {self.log_path}:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(timeout=5)
        # Children left behind in the group (e.g. a training subprocess) go too.
        self._signal_group(signal.SIGKILL)
        if self in RUNNING:
            RUNNING.remove(self)

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.popen is not None
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


@atexit.register
def _stop_leftovers() -> None:
    # Fixtures stop everything; this covers an interrupted session.
    for process in list(RUNNING):
        process.stop(timeout=5)


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, process: ManagedProcess | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process is not None:
            process.check_alive()
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        if time.monotonic() > deadline:
            tail = f"\nLast lines of {process.log_path}:\n{process.log_tail()}" if process else ""
            raise StackError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(0.2)


def wait_http_ok(url: str, *, timeout: float, process: ManagedProcess | None = None) -> None:
    wait_until(lambda: httpx.get(url, timeout=2, trust_env=False).status_code == 200, timeout=timeout, what=f"{url} to answer 200", process=process)


def run_checked(args: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, timeout: float) -> None:
    """A one-shot command (like `tuneforge migrate`); its output goes to log_path."""
    with log_path.open("ab") as log:
        result = subprocess.run(args, env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
        raise StackError(f"`{' '.join(args)}` failed with code {result.returncode}:\n{tail}")


def workers_user_directive() -> str:
    """The nginx `user` line that runs the worker processes as whoever runs this harness.

    nginx started as root hands its workers to `nobody`, who cannot read a checkout in a private
    folder (a 0700 temporary directory, /root): every SPA request would answer 500. So as root the
    workers stay root, and root reads the files wherever they are. Started as another user, nginx
    cannot change users at all (it ignores `user`, with a warning): its workers already run as that
    user, the checkout's reader, so no line is needed."""
    if os.geteuid() != 0:
        return ""
    import grp
    import pwd

    return f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"


def render_nginx_conf(*, api_address: str, spa_root: Path, port: int, runtime: Path) -> str:
    """nginx/nginx.conf rendered the way the web image renders it, plus the harness's worker user."""
    rendered = render_template(
        NGINX_TEMPLATE.read_text(),
        {
            "NGINX_LISTEN": f"127.0.0.1:{port}",
            "NGINX_API_UPSTREAM": api_address,
            "NGINX_SPA_ROOT": str(spa_root),
            "NGINX_RUNTIME_DIR": str(runtime),
        },
    )
    return workers_user_directive() + rendered


def start_nginx(*, workdir: Path, api_address: str, spa_root: Path, port: int) -> ManagedProcess:
    """nginx with the repository's own nginx.conf, rendered the way the web image renders it."""
    runtime = workdir / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(render_nginx_conf(api_address=api_address, spa_root=spa_root, port=port, runtime=runtime))
    nginx = _nginx_binary()
    check = subprocess.run([nginx, "-t", "-p", str(workdir), "-c", str(conf)], capture_output=True, text=True)
    if check.returncode != 0:
        raise StackError(f"nginx rejects the rendered nginx/nginx.conf ({conf}):\n{check.stderr}")
    process = ManagedProcess(
        "nginx",
        [nginx, "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"],
        log_path=workdir / "nginx.log",
    ).start()
    return process


def _nginx_binary() -> str:
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/bin/nginx"):
        if Path(candidate).exists():
            return candidate
    raise StackError("nginx is not installed. Install it with `apt-get install -y nginx` (make test does).")


# ---------------------------------------------------------------------------------------------
# Trained models a test can share (conftest's `sums_model`): plain API calls, nothing of pytest

SUMS_MODEL = "sums-bot"


@dataclass(frozen=True)
class TrainedModel:
    """Two short tiny-llama SFT+LoRA runs of one user, registered as v1 and v2 of one model."""

    user: User
    team_id: str
    dataset_version_id: str  # "sums" v1, what both runs trained on
    jobs: tuple[str, str]  # the runs that made v1 and v2
    v1: dict  # GET /api/jobs/{id}/model-version of each
    v2: dict


def sums_rows(n: int = 64) -> bytes:
    """Chats "What is a plus b?" → "The sum is K.": every answer starts alike, so a few steps teach
    tiny-llama to write something before it ends its turn (trained on bare "K" answers, a short run
    learns the end of the turn first and answers with an empty string, which cannot be picked)."""
    rows = [
        {"messages": [{"role": "user", "content": f"What is {a} plus {b}?"}, {"role": "assistant", "content": f"The sum is {a + b}."}]}
        for a in range(8)
        for b in range(8)
    ][:n]
    return "\n".join(json.dumps(r) for r in rows).encode() + b"\n"


def launch_job(client: httpx.Client, user: User, team_id: str, body: dict) -> str:
    response = client.post(f"/api/teams/{team_id}/jobs", headers=user.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def wait_succeeded(client: httpx.Client, user: User, job_id: str, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = client.get(f"/api/jobs/{job_id}", headers=user.headers).json()["status"]
        if status == "succeeded":
            return
        assert status not in ("failed", "cancelled"), f"job {job_id} ended {status}"
        time.sleep(1)
    raise AssertionError(f"job {job_id} still {status} after {timeout} s")


def model_version_of(client: httpx.Client, user: User, job_id: str) -> dict:
    response = client.get(f"/api/jobs/{job_id}/model-version", headers=user.headers)
    assert response.status_code == 200, response.text
    version = response.json()
    assert version, f"job {job_id} made no model version"
    return version


def personal_team(client: httpx.Client, user: User) -> str:
    me = client.get("/api/auth/me", headers=user.headers).json()
    return next(t["id"] for t in me["teams"] if t["personal"])


def train_sums_model(client: httpx.Client, user: User, *, max_steps: int = 16) -> TrainedModel:
    """Uploads "sums", then trains v1 (learning rate 2e-4, a model named after the job) and v2 (5e-3,
    a new version of the same model through `register_as.model_id`) on a running worker.

    Greedy answers of tiny-llama after 16 steps, 12 new tokens at most: v1 still writes the base's
    gibberish ("ap fr was…"), v2 "The sum is is is is"; both have text, so either can be picked (at 1e-3
    it answers twelve spaces, which the playground refuses to pick)."""
    team_id = personal_team(client, user)
    upload = client.post(
        f"/api/teams/{team_id}/datasets",
        headers=user.headers,
        files={"files": ("sums.jsonl", sums_rows(), "application/x-ndjson")},
        data={"name": "sums"},
    )
    assert upload.status_code == 201, upload.text
    dataset_version_id = upload.json()["version"]["id"]

    def body(learning_rate: float, **extra: object) -> dict:
        return {
            "name": SUMS_MODEL,
            "method": "sft",
            "adapter": "lora",
            "base_model": "tiny-llama",
            "dataset_version_id": dataset_version_id,
            "preset": None,
            "hyperparameters": {"max_steps": max_steps, "learning_rate": learning_rate, "logging_steps": 1},
            "eval": {"enabled": False},
            **extra,
        }

    first = launch_job(client, user, team_id, body(2e-4))
    wait_succeeded(client, user, first)
    v1 = model_version_of(client, user, first)
    second = launch_job(client, user, team_id, body(5e-3, register_as={"model_id": v1["model_id"]}))
    wait_succeeded(client, user, second)
    v2 = model_version_of(client, user, second)
    return TrainedModel(user=user, team_id=team_id, dataset_version_id=dataset_version_id, jobs=(first, second), v1=v1, v2=v2)
