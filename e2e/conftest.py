"""End-to-end harness: a whole TuneForge, started once per session, driven through nginx by Chromium.

    PostgreSQL (embedded, throwaway) <- `tuneforge migrate`
    fake Hugging Face Hub (loopback) <- `tuneforge api` <- nginx (nginx/nginx.conf) <- Chromium
    fake Ollama (loopback)           <- `tuneforge worker` (only for tests that ask for `worker`)

Every process is stopped at the end, failures included. A failing test leaves a screenshot and
the processes' log tails in e2e/artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from stack import (
    HF_TOKEN,
    HF_USER,
    REPO_ROOT,
    RUNNING,
    SPA_DIST,
    VENV_BIN,
    LoopbackOllama,
    ManagedProcess,
    Stack,
    TrainedModel,
    User,
    free_port,
    run_checked,
    start_nginx,
    train_sums_model,
    wait_http_ok,
    wait_until,
)

if TYPE_CHECKING:
    from tuneforge.testing.fake_hub import FakeHub
    from tuneforge.testing.fake_ollama import FakeOllama

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# Flags that make Debian's Chromium run headless here without reaching for the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# ---------------------------------------------------------------------------------------------
# Failure artifacts


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(node: pytest.Item) -> bool:
    return any(getattr(getattr(node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))


def _artifact(node: pytest.Item, suffix: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^A-Za-z0-9_-]+", "_", node.nodeid).strip("_") + suffix)


def _save_stack_logs(workdir: Path) -> None:
    """The stack did not come up: keep every log it wrote (the tmp folder is removed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    for log in [*workdir.glob("*.log"), *workdir.glob("*/*.log")]:
        shutil.copy(log, ARTIFACTS / ("stack-" + "-".join(log.relative_to(workdir).parts)))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session: pytest.Session) -> None:
    # Artifacts describe the last run only.
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    # A SIGTERM (a CI timeout, `timeout`, kill) unwinds like Ctrl-C, so the fixtures still stop
    # PostgreSQL, the API, nginx and the worker instead of leaving them running.
    signal.signal(signal.SIGTERM, _interrupt)


# Screenshots a test takes for a reviewer (test_newcomer.py, test_playground_flow.py): one folder per
# journey and run, each named at the end.
SCREENSHOTS = pytest.StashKey[dict[str, Path]]()


def _screenshot_folder(request: pytest.FixtureRequest, journey: str) -> Path:
    """TUNEFORGE_E2E_SCREENSHOTS, else e2e/artifacts/<journey>-<time>; its path is printed at the end."""
    folder = Path(os.environ.get("TUNEFORGE_E2E_SCREENSHOTS") or ARTIFACTS / f"{journey}-{time.strftime('%Y%m%d-%H%M%S')}")
    folder.mkdir(parents=True, exist_ok=True)
    request.config.stash.setdefault(SCREENSHOTS, {})[journey] = folder.resolve()
    return folder


@pytest.fixture(scope="session")
def devices_screenshot_folder(request: pytest.FixtureRequest) -> Path:
    """Where test_devices_flow.py saves the multi-device journey."""
    return _screenshot_folder(request, "devices")


@pytest.fixture(scope="session")
def screenshot_folder(request: pytest.FixtureRequest) -> Path:
    """Where test_newcomer.py saves the newcomer's journey."""
    return _screenshot_folder(request, "newcomer")


@pytest.fixture(scope="session")
def playground_screenshot_folder(request: pytest.FixtureRequest) -> Path:
    """Where test_playground_flow.py saves the playground after a pick."""
    return _screenshot_folder(request, "playground")


@pytest.fixture(scope="session")
def publishing_screenshot_folder(request: pytest.FixtureRequest) -> Path:
    """Where test_publishing_flow.py saves the version page with its publishing history."""
    return _screenshot_folder(request, "publishing")


@pytest.fixture(scope="session")
def team_screenshot_folder(request: pytest.FixtureRequest) -> Path:
    """Where test_team_flow.py saves the Team page, the audit log and the dashboard of a shared team."""
    return _screenshot_folder(request, "team")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    folders = config.stash.get(SCREENSHOTS, {})
    if folders:
        terminalreporter.write_sep("-", "screenshots")
    for journey, folder in folders.items():
        shots = len(list(folder.glob("*.png")))
        terminalreporter.write_line(f"{shots} screenshots of the {journey} journey in {folder}")


@pytest.fixture(autouse=True)
def _log_tails_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if _failed(request.node) and RUNNING:
        parts = [f"===== {p.name} ({p.log_path}) =====\n{p.log_tail(200)}\n" for p in RUNNING]
        _artifact(request.node, ".log").write_text("\n".join(parts))


# ---------------------------------------------------------------------------------------------
# The stack


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="tuneforge-e2e-"))
    # As root the embedded PostgreSQL runs as `postgres`, which must reach its folder in here.
    path.chmod(0o755)
    yield path
    if not os.environ.get("TUNEFORGE_E2E_KEEP_TMP"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def spa_dist() -> Path:
    if not (SPA_DIST / "index.html").exists():
        pytest.fail(
            f"{SPA_DIST}/index.html is missing: build the SPA first with `npm run build` in frontend/ "
            "(`make test` does this before the end-to-end suite).",
            pytrace=False,
        )
    return SPA_DIST


@pytest.fixture(scope="session")
def fake_hub() -> Iterator[FakeHub]:
    """The loopback Hugging Face Hub the API and the worker talk to; tests read what it received."""
    from tuneforge.testing.fake_hub import FakeHub

    hub = FakeHub(tokens={HF_TOKEN: HF_USER})
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def hub_url(fake_hub: FakeHub) -> str:
    return fake_hub.url


@pytest.fixture(scope="session")
def loopback_ollama() -> Iterator[LoopbackOllama]:
    """The loopback Ollama (tuneforge.testing.fake_ollama) the worker publishes to, started before the API and
    the worker (TUNEFORGE_OLLAMA_URLS names it). It needs Go for its templates; without Go it cannot start, and
    only the tests that ask for `fake_ollama` fail (with the reason): the URL then points at a closed port."""
    from tuneforge.testing.fake_ollama import FakeOllama

    fake = FakeOllama()
    try:
        fake.start()
    except Exception as exc:  # noqa: BLE001 — GoMissing, or a helper that does not build: said by `fake_ollama`
        fake.stop()
        yield LoopbackOllama(url=f"http://127.0.0.1:{free_port()}", fake=None, problem=f"the loopback Ollama did not start: {exc}")
        return
    try:
        yield LoopbackOllama(url=fake.url, fake=fake, problem=None)
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def fake_ollama(loopback_ollama: LoopbackOllama) -> FakeOllama:
    """The running loopback Ollama of the session, for tests that publish to it."""
    if loopback_ollama.fake is None:
        pytest.fail(loopback_ollama.problem or "the loopback Ollama did not start", pytrace=False)
    return loopback_ollama.fake


@pytest.fixture(scope="session")
def database_url(workdir: Path) -> Iterator[str]:
    from tuneforge.devdb import EmbeddedPostgres

    pg = EmbeddedPostgres(data_dir=workdir / "postgres", fast=True)
    try:
        # start() runs asyncio.run(); a thread keeps it clear of any running event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            url = pool.submit(pg.start).result()
        yield url
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def app_env(spa_dist: Path, workdir: Path, database_url: str, hub_url: str, loopback_ollama: LoopbackOllama) -> dict[str, str]:
    # Nothing from the caller's TuneForge settings leaks in; the processes run in workdir so a
    # developer's .env is not read either.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNEFORGE_") and k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url,
        TUNEFORGE_DATA_DIR=str(workdir / "data"),
        TUNEFORGE_ENVIRONMENT="development",
        TUNEFORGE_SPA_DIR=str(spa_dist),
        TUNEFORGE_HF_ENDPOINT=hub_url,
        # huggingface_hub uploads through Xet by default, which the loopback Hub does not speak (it speaks LFS);
        # and nothing is reported home.
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        TUNEFORGE_OLLAMA_URLS=loopback_ollama.url,
        TUNEFORGE_MIGRATIONS_DIR=str(REPO_ROOT / "migrations"),
        # The most verbose logs: tests check that no secret reaches them.
        TUNEFORGE_LOG_LEVEL="debug",
        # Every test signs up its own user, all from 127.0.0.1; the limits themselves are tested in
        # the backend suite, and production keeps the defaults.
        TUNEFORGE_RATE_LIMIT_REGISTER="300/minute",
        TUNEFORGE_RATE_LIMIT_LOGIN="300/minute",
        # nginx runs on this host: trust its X-Forwarded-For, as docker-compose trusts its nginx.
        TUNEFORGE_TRUSTED_PROXIES="127.0.0.1",
        PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


@pytest.fixture(scope="session")
def stack(spa_dist: Path, workdir: Path, app_env: dict[str, str], hub_url: str, loopback_ollama: LoopbackOllama) -> Iterator[Stack]:
    try:
        run_checked([str(VENV_BIN / "tuneforge"), "migrate"], env=app_env, cwd=workdir, log_path=workdir / "migrate.log", timeout=120)
    except Exception:
        _save_stack_logs(workdir)
        raise

    api_port = free_port()
    api = ManagedProcess(
        "api",
        [str(VENV_BIN / "tuneforge"), "api", "--host", "127.0.0.1", "--port", str(api_port)],
        env=app_env,
        cwd=workdir,
        log_path=workdir / "api.log",
    ).start()
    nginx: ManagedProcess | None = None
    try:
        try:
            api_url = f"http://127.0.0.1:{api_port}"
            wait_http_ok(f"{api_url}/api/health", timeout=90, process=api)

            nginx_port = free_port()
            nginx = start_nginx(workdir=workdir / "nginx", api_address=f"127.0.0.1:{api_port}", spa_root=spa_dist, port=nginx_port)
            base_url = f"http://127.0.0.1:{nginx_port}"
            wait_http_ok(f"{base_url}/api/health", timeout=20, process=nginx)
        except Exception:
            _save_stack_logs(workdir)
            raise

        yield Stack(
            base_url=base_url, api_url=api_url, api=api, nginx=nginx, hub_url=hub_url, ollama_url=loopback_ollama.url,
            env=app_env, workdir=workdir,
        )
    finally:
        if nginx is not None:
            nginx.stop()
        api.stop()


@contextmanager
def _worker(stack: Stack, **env: str) -> Iterator[ManagedProcess]:
    """A `tuneforge worker` on the same database and storage (with `env` added), once /api/info lists it."""
    name = f"e2e-worker-{uuid.uuid4().hex[:6]}"
    process = ManagedProcess(
        "worker",
        [str(VENV_BIN / "tuneforge"), "worker", "--name", name],
        env={**stack.env, **env},
        cwd=stack.workdir,
        log_path=stack.workdir / f"worker-{name}.log" if env else stack.workdir / "worker.log",
    ).start()
    try:
        # /api/info is for signed-in users (it names the workers' hosts): a throwaway account asks.
        observer = httpx.post(
            f"{stack.api_url}/api/auth/register",
            json={"email": f"observer-{uuid.uuid4().hex[:8]}@example.com", "password": "correct-horse-battery-staple"},
            timeout=30,
            trust_env=False,
        )
        assert observer.status_code == 201, observer.text
        headers = {"Authorization": f"Bearer {observer.json()['access_token']}"}

        def registered() -> bool:
            # The API's first /api/info inspects the training stack (imports torch): slow once.
            info = httpx.get(f"{stack.api_url}/api/info", headers=headers, timeout=60, trust_env=False).json()
            return any(w["name"] == name for w in info.get("workers", []))

        wait_until(registered, timeout=90, what=f"worker {name} to appear in /api/info", process=process)
        yield process
    finally:
        process.stop(timeout=30)


@pytest.fixture(scope="session")
def worker(stack: Stack) -> Iterator[ManagedProcess]:
    """A `tuneforge worker` on the same database and storage; started only for tests that ask."""
    with _worker(stack) as process:
        yield process


@pytest.fixture
def two_process_worker(stack: Stack) -> Iterator[ManagedProcess]:
    """A CPU worker that spreads one job over two training processes (TUNEFORGE_WORKER_CPU_PROCESSES=2),
    for one test."""
    with _worker(stack, TUNEFORGE_WORKER_CPU_PROCESSES="2") as process:
        yield process


# ---------------------------------------------------------------------------------------------
# Clients: the browser, and a plain HTTP client for creating data through the API


@pytest.fixture(scope="session")
def playwright(stack: Stack) -> Iterator[Playwright]:
    # After the stack (whose set-up must not run inside Playwright's event loop), closed before it.
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install it with `apt-get install -y chromium` (make test does).", pytrace=False)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    # Content-Security-Policy violations and uncaught errors fail the test: they break real users.
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}")
        if msg.type == "error" and "Content Security Policy" in msg.text
        else None,
    )
    yield page
    if _failed(request.node):
        try:
            page.screenshot(path=str(_artifact(request.node, ".png")), full_page=True)
        except Exception as exc:  # noqa: BLE001 — a failed screenshot must not hide the real failure
            print(f"could not save a screenshot: {exc}")
    elif problems:
        pytest.fail("the page reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def api_client(stack: Stack) -> Iterator[httpx.Client]:
    """httpx through nginx, for creating test data the way the SPA does."""
    with httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture
def new_user() -> dict[str, str]:
    """Fresh registration details; nothing is created until a test uses them."""
    suffix = uuid.uuid4().hex[:8]
    return {"name": f"E2E User {suffix}", "email": f"e2e-{suffix}@example.com", "password": f"Correct-horse-{suffix}"}


@pytest.fixture
def user(api_client: httpx.Client, new_user: dict[str, str]) -> User:
    """A registered user, created through the API (with their personal team)."""
    response = api_client.post(
        "/api/auth/register",
        json={"email": new_user["email"], "password": new_user["password"], "display_name": new_user["name"]},
    )
    assert response.status_code == 201, response.text
    tokens = response.json()
    return User(**new_user, access_token=tokens["access_token"], refresh_token=tokens["refresh_token"])


# Where the SPA keeps the refresh token (frontend/src/lib/auth/session.ts). With no stored access
# token next to it, the SPA gets one with a single silent refresh on load.
REFRESH_TOKEN_KEY = "tuneforge.refresh_token"


@pytest.fixture
def signed_in_page(page: Page, user: User) -> Page:
    """The SPA signed in as `user` without going through the form (test_auth_flow covers that)."""
    return sign_in(page, user.refresh_token)


def sign_in(page: Page, refresh_token: str) -> Page:
    page.goto("/login")
    # Set once, not in an init script: the SPA rotates the token, and re-sending an old one would
    # (rightly) revoke the session.
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [REFRESH_TOKEN_KEY, refresh_token])
    page.goto("/dashboard")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


# ---------------------------------------------------------------------------------------------
# A trained model several tests share (training is most of the suite's time)


@pytest.fixture(scope="session")
def sums_model(stack: Stack, worker: ManagedProcess) -> TrainedModel:
    """v1 and v2 of the model "sums-bot" (two tiny-llama SFT+LoRA runs, 16 steps each), owned by a user of
    their own: test_models_flow.py tags, compares and trains from them, test_playground_flow.py chats with
    them. Sign in as the owner with `sums_model_page`."""
    suffix = uuid.uuid4().hex[:8]
    details = {"name": f"Sums Owner {suffix}", "email": f"sums-{suffix}@example.com", "password": f"Correct-horse-{suffix}"}
    with httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False) as client:
        response = client.post(
            "/api/auth/register",
            json={"email": details["email"], "password": details["password"], "display_name": details["name"]},
        )
        assert response.status_code == 201, response.text
        tokens = response.json()
        owner = User(**details, access_token=tokens["access_token"], refresh_token=tokens["refresh_token"])
        return train_sums_model(client, owner)


@pytest.fixture
def sums_model_owner(sums_model: TrainedModel, api_client: httpx.Client) -> User:
    """The owner of `sums_model`, signed in afresh (tokens of its own for this test)."""
    owner = sums_model.user
    response = api_client.post("/api/auth/login", json={"email": owner.email, "password": owner.password})
    assert response.status_code == 200, response.text
    tokens = response.json()
    return User(owner.name, owner.email, owner.password, tokens["access_token"], tokens["refresh_token"])


@pytest.fixture
def sums_model_page(page: Page, sums_model_owner: User) -> Page:
    """The SPA signed in as the owner of `sums_model`."""
    return sign_in(page, sums_model_owner.refresh_token)


expect.set_options(timeout=15_000)
