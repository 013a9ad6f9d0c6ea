"""The audit table is append-only for the application: the database itself refuses UPDATE, DELETE and
TRUNCATE; only retention pruning (SET LOCAL tuneforge.audit_prune) deletes, and only old rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.audit import service as audit
from tuneforge.audit.models import AuditEvent
from tuneforge.db import Base
from tuneforge.tables import import_all_tables


@pytest.fixture
async def session(db):
    async with AsyncSession(bind=db, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
        yield s


async def _one(session) -> AuditEvent:
    await audit.record(session, action="test.thing", target_type="thing", target_id="t1", detail={"n": 1})
    await session.flush()
    return await session.scalar(select(AuditEvent).where(AuditEvent.action == "test.thing"))


async def test_a_recorded_event_outside_a_request_has_no_address(session):
    event = await _one(session)
    assert (event.outcome, event.ip, event.actor_user_id, event.detail) == ("success", None, None, {"n": 1})


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET outcome = 'failure'",
    "UPDATE audit_event SET detail = NULL",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
])
async def test_the_database_refuses_to_change_or_remove_events(session, statement):
    await _one(session)
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(statement))
    assert await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.thing")) == 1


async def test_retention_prunes_only_old_rows(session):
    now = datetime.now(UTC)
    for days in (400, 366, 364, 1):
        session.add(AuditEvent(action=f"test.age{days}", created_at=now - timedelta(days=days), outcome="success"))
    await session.flush()
    assert await audit.prune(session=session, retention_days=365, now=now) >= 2
    left = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.age%"))))
    assert left == {"test.age364", "test.age1"}
    # The permission ends with the prune: a delete right after is refused again.
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text("DELETE FROM audit_event"))


async def test_retention_zero_keeps_everything(session):
    session.add(AuditEvent(action="test.ancient", created_at=datetime(2000, 1, 1, tzinfo=UTC), outcome="success"))
    await session.flush()
    assert await audit.prune(session=session, retention_days=0) == 0
    assert await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.ancient")) == 1


async def test_the_model_matches_the_migration(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import_all_tables()

    def compare(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert [d for d in diffs if re.search(r"\baudit_event\b", repr(d))] == []


async def test_the_workers_retention_pass_prunes_in_its_own_transaction(app):
    """What the worker loop runs hourly (worker/main.py): its own committed transaction, old rows only."""
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session:
        session.add_all([AuditEvent(action="test.old", created_at=now - timedelta(days=31), outcome="success"),
                         AuditEvent(action="test.new", created_at=now - timedelta(days=29), outcome="success")])
        await session.commit()
    assert await audit.prune_expired(sessionmaker=app.state.sessionmaker, retention_days=30) >= 1
    assert await audit.prune_expired(sessionmaker=app.state.sessionmaker, retention_days=0) == 0
    async with app.state.sessionmaker() as session:
        left = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))))
        assert left == {"test.new"}
        # And the permission did not outlive that transaction.
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(text("DELETE FROM audit_event"))


def test_retention_defaults_to_a_year_and_zero_is_allowed():
    from tuneforge.config import Settings

    assert Settings(_env_file=None).audit_retention_days == 365
    assert Settings(_env_file=None, audit_retention_days=0).audit_retention_days == 0
