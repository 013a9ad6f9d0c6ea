from __future__ import annotations

import asyncio

import asyncpg

from tuneforge import migrate


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


def _scratch_database(pg_url: str) -> str:
    """A separate database on the same cluster, so the round trip never touches other tests' schema."""
    admin = pg_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"

    async def create() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute("DROP DATABASE IF EXISTS migration_roundtrip")
            await conn.execute("CREATE DATABASE migration_roundtrip")
        finally:
            await conn.close()

    asyncio.run(create())
    return pg_url.rsplit("/", 1)[0] + "/migration_roundtrip"


def test_upgrade_downgrade_upgrade_round_trip(pg_url):
    url = _scratch_database(pg_url)
    migrate.upgrade(url)
    full = asyncio.run(_tables(url))
    assert {"user_account", "team", "membership", "refresh_token", "credential", "worker", "alembic_version"} <= full
    assert {"dataset", "dataset_version", "job", "job_event", "job_template", "procrastinate_jobs"} <= full
    migrate.downgrade(url, "base")
    assert asyncio.run(_tables(url)) == {"alembic_version"}
    migrate.upgrade(url)
    assert asyncio.run(_tables(url)) == full
