"""The processes of a running TuneForge, started for the end-to-end suite and always stopped again.

Plain functions and one small process class, so fixtures stay short and later tests can reuse
them. Nothing here knows about pytest.
"""

from __future__ import annotations

import atexit
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
    env: dict[str, str]  # the environment the tuneforge processes run with
    workdir: Path


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
