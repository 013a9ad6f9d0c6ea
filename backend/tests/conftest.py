"""Shared fixtures: a real throwaway PostgreSQL (schema from `alembic upgrade head`), the app, clients.

Each API test runs inside a transaction that is rolled back afterwards; the app's own session
dependency (and its commits, which become savepoint releases) is what runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

# Settings are read from the environment once; set them before tuneforge is imported anywhere.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="tuneforge-test-"))
_DATA_DIR.chmod(0o755)  # the embedded cluster runs as the `postgres` user when we are root
os.environ.update(
    {
        "TUNEFORGE_ENVIRONMENT": "test",
        "TUNEFORGE_DATA_DIR": str(_DATA_DIR),
        "TUNEFORGE_JWT_SECRET": "test-jwt-secret-" + "x" * 40,
        "TUNEFORGE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "TUNEFORGE_SPA_DIR": "",
        "TUNEFORGE_HF_ENDPOINT": "http://127.0.0.1:9",  # replaced per test by the fake hub when needed
    }
)
os.environ.pop("DATABASE_URL", None)
os.environ.pop("TUNEFORGE_DATABASE_URL", None)


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    yield _DATA_DIR
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(data_dir: Path) -> Iterator[str]:
    from tuneforge import migrate
    from tuneforge.devdb import EmbeddedPostgres

    pg = EmbeddedPostgres(data_dir / "postgres", fast=True)
    url = pg.start()
    migrate.upgrade(url)
    yield url
    pg.stop()


@pytest.fixture(scope="session")
def settings(pg_url: str):
    from tuneforge.config import get_settings

    os.environ["DATABASE_URL"] = pg_url
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
async def engine(settings):
    from tuneforge.db import make_engine

    engine = make_engine(settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine) -> AsyncIterator:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
async def app(settings, db):
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from tuneforge.web.app import create_app
    from tuneforge.web.ratelimit import limiter

    application = create_app(settings)
    application.state.engine = db.engine  # marks the engine as provided: lifespan won't create one
    application.state.sessionmaker = async_sessionmaker(
        bind=db, expire_on_commit=False, join_transaction_mode="create_savepoint", class_=AsyncSession
    )
    limiter.reset()
    yield application
    limiter.reset()


@pytest.fixture
async def client(app) -> AsyncIterator:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class Account:
    def __init__(self, email: str, password: str, tokens: dict) -> None:
        self.email = email
        self.password = password
        self.tokens = tokens

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    @property
    def team_id(self) -> str:
        return self.tokens["user"]["teams"][0]["id"]


@pytest.fixture
def register(client):
    """Creates an account through the API and returns an Account with its tokens."""
    counter = {"n": 0}

    async def _register(email: str | None = None, password: str = "correct horse battery", name: str = "Ada") -> Account:
        counter["n"] += 1
        email = email or f"user{counter['n']}@example.com"
        response = await client.post(
            "/api/auth/register", json={"email": email, "password": password, "display_name": name}
        )
        assert response.status_code == 201, response.text
        return Account(email.strip().lower(), password, response.json())

    return _register


@pytest.fixture
def fake_hub(settings):
    from tuneforge.testing.fake_hub import FakeHub

    hub = FakeHub(tokens={"hf_validtoken1234567890": "alice"})
    hub.start()
    previous = settings.hf_endpoint
    settings.hf_endpoint = hub.url
    yield hub
    settings.hf_endpoint = previous
    hub.stop()
