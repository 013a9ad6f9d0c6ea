"""The `tuneforge` command: run the platform's processes, manage the database, train from a spec."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tuneforge.training.catalogue import BUNDLED_MODEL_NAMES


def _cmd_api(args: argparse.Namespace) -> None:
    import uvicorn

    from tuneforge.config import get_settings
    from tuneforge.web.app import create_app

    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        **uvicorn_proxy_options(get_settings().trusted_proxies),
        log_config=None,
        ws_ping_interval=20,
    )


def uvicorn_proxy_options(trusted_proxies: list[str]) -> dict[str, object]:
    """X-Forwarded-For/-Proto are believed only from TUNEFORGE_TRUSTED_PROXIES (none by default).

    Otherwise any client could name its own address and walk around the per-address rate limits.
    Both `tuneforge api` and `tuneforge dev` (which starts `tuneforge api`) go through here.
    """
    if os.environ.get("TUNEFORGE_FORWARDED_ALLOW_IPS"):
        print(
            "TUNEFORGE_FORWARDED_ALLOW_IPS is no longer read: list your reverse proxies' addresses in "
            "TUNEFORGE_TRUSTED_PROXIES instead. Forwarded headers are trusted from: "
            f"{', '.join(trusted_proxies) or 'nobody'}.",
            file=sys.stderr,
            flush=True,
        )
    if not trusted_proxies:
        # Not even uvicorn's own default (127.0.0.1): under `make run` nothing stands in front.
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted_proxies)}


def _cmd_worker(args: argparse.Namespace) -> None:
    from tuneforge.log import configure_logging
    from tuneforge.worker.main import run_worker

    configure_logging(os.environ.get("TUNEFORGE_LOG_LEVEL", "INFO"))
    asyncio.run(run_worker(name=args.name, max_concurrent_jobs=args.max_concurrent_jobs, playground=not args.no_playground))


def _database_url() -> str:
    from tuneforge.config import get_settings

    url = get_settings().database_url
    if not url:
        raise SystemExit("DATABASE_URL is not set. Set it, or use `make run`, which starts an embedded PostgreSQL.")
    return url


def _cmd_migrate(args: argparse.Namespace) -> None:
    from tuneforge import migrate

    if args.downgrade:
        migrate.downgrade(_database_url(), args.downgrade)
    else:
        migrate.upgrade(_database_url(), args.revision)


def _embedded(settings) -> "EmbeddedPostgres":  # noqa: F821
    from tuneforge.devdb import EmbeddedPostgres

    return EmbeddedPostgres(settings.data_dir / "postgres")


def _cmd_db(args: argparse.Namespace) -> None:
    from tuneforge.config import get_settings

    pg = _embedded(get_settings())
    if args.action == "start":
        print(pg.start())
    elif args.action == "stop":
        pg.stop()
    else:
        print(pg.url if pg.running() else "not running")


def _cmd_rotate_keys(args: argparse.Namespace) -> None:
    """Re-encrypt every saved token with the first key of TUNEFORGE_ENCRYPTION_KEYS."""
    from tuneforge.config import get_settings
    from tuneforge.credentials import service as credentials_service
    from tuneforge.db import make_engine, make_sessionmaker

    settings = get_settings()
    url = _database_url()

    async def rotate() -> int:
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await credentials_service.rotate_keys(session=session, settings=settings)
        finally:
            await engine.dispose()

    try:
        count = asyncio.run(rotate())
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    print(
        f"Re-encrypted {count} saved token{'' if count == 1 else 's'} with the first key of "
        "TUNEFORGE_ENCRYPTION_KEYS. The keys after it can now be removed.",
        flush=True,
    )


def _cmd_openapi(args: argparse.Namespace) -> None:
    import json

    from tuneforge.web.openapi import schema

    json.dump(schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def _cmd_dev(args: argparse.Namespace) -> None:
    """Everything `make run` needs: database, migrations, API (serving the SPA) and one worker."""
    from tuneforge import migrate
    from tuneforge.config import get_settings

    settings = get_settings()
    env = dict(os.environ)
    pg = None
    if settings.database_url is None:
        pg = _embedded(settings)
        print(f"Starting embedded PostgreSQL in {pg.data_dir} ...", flush=True)
        env["DATABASE_URL"] = pg.start()
    else:
        env["DATABASE_URL"] = settings.database_url
    print("Applying database migrations ...", flush=True)
    migrate.upgrade(env["DATABASE_URL"])

    exe = [sys.executable, "-m", "tuneforge.cli"]
    api = subprocess.Popen([*exe, "api", "--host", args.host, "--port", str(args.port)], env=env)
    worker = subprocess.Popen([*exe, "worker"], env=env)
    children = [api, worker]
    if not args.no_models:
        children.append(subprocess.Popen([*exe, "models", "bootstrap"], env=env))
    url = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{args.port}"
    print(f"\n  TuneForge is starting at {url}  (Ctrl-C stops everything)\n", flush=True)

    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    # A worker that dies (out of memory, a crash) is started again, waiting 1 s, 2 s, 4 s … 30 s
    # between attempts (back to 1 s once one has run for a while); the API and the database stay up.
    backoff = WorkerBackoff()
    restart_at: float | None = None
    next_db_check = time.monotonic() + DB_CHECK_S
    try:
        while not stopping:
            time.sleep(0.5)
            if stopping:  # Ctrl-C reaches the children too: their exits are not crashes
                break
            if api.poll() is not None:
                print(f"The API exited ({describe_exit(api.returncode)}); stopping the rest.", flush=True)
                break
            now = time.monotonic()
            if pg is not None and now >= next_db_check:
                next_db_check = now + DB_CHECK_S
                if not pg.running():
                    print("The embedded PostgreSQL stopped; starting it again ...", flush=True)
                    try:
                        pg.start()
                    except Exception as exc:  # noqa: BLE001 — without its database nothing can run
                        print(f"The embedded PostgreSQL cannot start ({exc}); stopping the rest.", flush=True)
                        break
            if restart_at is None and worker.poll() is not None:
                delay = backoff.next_delay(now)
                print(f"The worker stopped ({describe_exit(worker.returncode)}); restarting it in {delay:g} s.", flush=True)
                restart_at = now + delay
            if restart_at is not None and now >= restart_at:
                restart_at = None
                worker = subprocess.Popen([*exe, "worker"], env=env)
                children[1] = worker
                backoff.started(now)
    finally:
        print("\nStopping TuneForge ...", flush=True)
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.time() + 20
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.kill()
        if pg is not None:
            pg.stop()
        print("Stopped. Your data is kept in", settings.data_dir, flush=True)


DB_CHECK_S = 5.0


class WorkerBackoff:
    """Delays between restarts of a crashing worker: 1 s, 2 s, 4 s … capped at 30 s, and back to 1 s
    after a worker has stayed up for STABLE_S."""

    FIRST_S, CAP_S, STABLE_S = 1.0, 30.0, 60.0

    def __init__(self) -> None:
        self.delay = self.FIRST_S
        self.started_at = time.monotonic()

    def started(self, now: float) -> None:
        self.started_at = now

    def next_delay(self, now: float) -> float:
        if now - self.started_at >= self.STABLE_S:
            self.delay = self.FIRST_S
        delay, self.delay = self.delay, min(self.delay * 2, self.CAP_S)
        return delay


def describe_exit(returncode: int | None) -> str:
    """How a child process ended, in words: "killed, signal 9 — the system may be out of memory"."""
    if returncode is None:
        return "still running"
    if returncode >= 0:
        return f"exited with code {returncode}"
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    if number == signal.SIGKILL:
        return f"killed, signal {number} — the system may be out of memory"
    if number in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL):
        return f"crashed, signal {number} ({name})"
    return f"stopped by signal {number} ({name})"


def _cmd_models(args: argparse.Namespace) -> None:
    from tuneforge.config import get_settings
    from tuneforge.training.loading import resolve_base_model

    cache = get_settings().data_dir / "models"
    for name in args.names:
        started = time.time()
        path = resolve_base_model(name, cache)
        print(f"{name}: ready at {path} ({time.time() - started:.1f} s)", flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tuneforge", description="Self-hosted fine-tuning platform.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("api", help="run the HTTP API (serves the built SPA too)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=_cmd_api)

    p = sub.add_parser("worker", help="run a worker that trains jobs on this host")
    p.add_argument("--name")
    p.add_argument("--max-concurrent-jobs", type=int, default=1)
    p.add_argument("--no-playground", action="store_true",
                   help="do not answer playground chats and batch comparisons (they load models into this worker's memory)")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("migrate", help="apply database migrations (DATABASE_URL)")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument("--downgrade", metavar="REVISION")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("db", help="the embedded development PostgreSQL")
    p.add_argument("action", choices=["start", "stop", "url"])
    p.set_defaults(func=_cmd_db)

    p = sub.add_parser("dev", help="run everything locally (what `make run` does)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("TUNEFORGE_PORT", "8000")))
    p.add_argument("--no-models", action="store_true", help="skip preparing the offline demo models")
    p.set_defaults(func=_cmd_dev)

    p = sub.add_parser(
        "rotate-keys",
        help="re-encrypt saved tokens with the first key of TUNEFORGE_ENCRYPTION_KEYS (then drop the old keys)",
    )
    p.set_defaults(func=_cmd_rotate_keys)

    p = sub.add_parser("openapi", help="print the API's OpenAPI schema")
    p.set_defaults(func=_cmd_openapi)

    p = sub.add_parser("models", help="prepare the offline base models")
    p.add_argument("action", choices=["bootstrap"])
    p.add_argument("names", nargs="*", default=list(BUNDLED_MODEL_NAMES))
    p.set_defaults(func=_cmd_models)

    try:
        from tuneforge.training.commands import register as register_training
        from tuneforge.publishing.commands import register as register_publishing
    except ImportError:  # the training extra is not installed (e.g. an API-only image)
        pass
    else:
        register_training(sub)
        register_publishing(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
