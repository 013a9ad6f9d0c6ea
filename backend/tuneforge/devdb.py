"""An embedded PostgreSQL for development and tests, used when DATABASE_URL is not set.

The cluster lives in a project-local folder and is reused across runs. PostgreSQL refuses to run
as root, so as root the cluster is owned by and run as the `postgres` system user.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

DB_NAME = "tuneforge"
_SEARCH_DIRS = ["/usr/local/bin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]


class EmbeddedPostgresError(RuntimeError):
    pass


def _find(binary: str) -> str:
    found = shutil.which(binary)
    if found:
        return found
    for folder in _SEARCH_DIRS:
        candidate = Path(folder) / binary
        if candidate.exists():
            return str(candidate)
    raise EmbeddedPostgresError(
        f"`{binary}` was not found. Install the PostgreSQL server (Debian: `apt-get install -y postgresql`) "
        "or set DATABASE_URL to an existing database."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int | None = None, *, fast: bool = False) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port_file = self.data_dir.parent / (self.data_dir.name + ".port")
        self.port = port
        self.fast = fast  # fsync off: for throwaway test clusters only
        self._as_postgres = os.geteuid() == 0

    def _run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        if self._as_postgres:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, capture_output=True, text=True, **kwargs)

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess:
        return self._run([_find("pg_ctl"), "-D", str(self.data_dir), *args])

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def running(self) -> bool:
        return self.initialised() and self._pg_ctl("status").returncode == 0

    def _init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        self.data_dir.chmod(0o700)
        result = self._run(
            [_find("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed:\n{result.stderr.strip()}")

    def start(self) -> str:
        """Start (initialising on first use) and make sure the database exists. Returns the URL."""
        if not self.initialised():
            self._init()
        if self.running():
            self.port = int(self.port_file.read_text()) if self.port_file.exists() else self.port
            if self.port is None:
                raise EmbeddedPostgresError(f"PostgreSQL is running in {self.data_dir} on an unknown port; stop it first.")
        else:
            if self.port is None:
                saved = int(self.port_file.read_text()) if self.port_file.exists() else None
                self.port = saved if saved and _port_is_free(saved) else free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data_dir}"
            if self.fast:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            log = self.data_dir / "server.log"
            result = self._pg_ctl("-w", "-t", "60", "-l", str(log), "-o", options, "start")
            if result.returncode != 0:
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise EmbeddedPostgresError(f"PostgreSQL did not start:\n{result.stderr.strip()}\n{tail}")
            self.port_file.write_text(str(self.port))
        asyncio.run(self._ensure_database())
        return self.url

    async def _ensure_database(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user="postgres", database="postgres")
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        finally:
            await conn.close()

    def stop(self) -> None:
        if self.running():
            self._pg_ctl("-m", "fast", "-w", "stop")
