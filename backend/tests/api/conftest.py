"""A live API process (uvicorn through `tuneforge api`, as deployed) for the tests that need real HTTP:
chunked request bodies over a socket, and what uvicorn does with X-Forwarded-For."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.jobs.conftest import start_api
from tuneforge import migrate
from tuneforge.devdb import free_port

# The IP rate limit on sign-ins for the live API: low, so a test reaches it in a few requests.
LIVE_LOGIN_LIMIT = 6


@pytest.fixture(scope="session")
def live_api_url(pg_url: str, data_dir: Path) -> Iterator[str]:
    admin = pg_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"

    async def create() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute("DROP DATABASE IF EXISTS live_api_limits")
            await conn.execute("CREATE DATABASE live_api_limits")
        finally:
            await conn.close()

    asyncio.run(create())
    url = pg_url.rsplit("/", 1)[0] + "/live_api_limits"
    migrate.upgrade(url)
    (data_dir / "live-api").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("TUNEFORGE_TRUSTED_PROXIES", "TUNEFORGE_FORWARDED_ALLOW_IPS")}
    env.update(
        DATABASE_URL=url,
        TUNEFORGE_DATA_DIR=str(data_dir / "live-api"),
        TUNEFORGE_RATE_LIMIT_LOGIN=f"{LIVE_LOGIN_LIMIT}/minute",
        TUNEFORGE_LOG_LEVEL="INFO",
    )
    port = free_port()
    api = start_api(env, port, data_dir / "live-api")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        api.stop()
        print(f"--- api log tail ---\n{api.log_tail()}")
