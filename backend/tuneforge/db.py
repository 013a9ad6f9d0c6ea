"""Database engine, session factory and the declarative base. No web code: the per-request session
(the only place that commits) is a dependency in `tuneforge.web.deps`."""

from __future__ import annotations

import errno
import socket
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, func, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), default=utcnow)


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// and postgresql:// spellings; we always talk through asyncpg."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> AsyncEngine:
    return create_async_engine(normalise_database_url(url), pool_pre_ping=True, pool_size=10, max_overflow=10)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(session: AsyncSession) -> None:
    """A round trip to the database (the health probe); raises if it is unreachable."""
    await session.execute(text("SELECT 1"))


# Connection-level failures: the server is down, restarting, or the network between us is.
# (57014 "query canceled" shares the 57 class but is not one of them.)
_UNREACHABLE_SQLSTATES = {"08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03"}
_UNREACHABLE_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
                       errno.ENETUNREACH, errno.ETIMEDOUT}


def database_unreachable(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) means "the database cannot be reached right now", as
    opposed to a bug or a refused statement: a refused connection, a connection the server closed
    (shutdown, restart), or a server still starting up."""
    import asyncpg
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (ConnectionError, asyncpg.exceptions.ConnectionDoesNotExistError, socket.gaierror)):
            return True
        if isinstance(current, OSError) and current.errno in _UNREACHABLE_ERRNOS:
            return True
        if isinstance(current, asyncpg.exceptions.InterfaceError) and "closed" in str(current):
            return True  # "connection is closed": the server went away under it
        if getattr(current, "sqlstate", None) in _UNREACHABLE_SQLSTATES:
            return True
        stack += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return False
