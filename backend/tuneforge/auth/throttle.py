"""Per-account sign-in throttle, with exponential backoff, that no request header can get around.

The IP rate limits (tuneforge.web.ratelimit) slow one client down; they do nothing against guesses
spread over many addresses. This counts failed sign-ins per email instead, in PostgreSQL so every
API process sees the same count. After `login_throttle_failures` failures in a row, every sign-in
for that email is refused with 429 for `login_throttle_seconds`, doubling with each further failure
up to `login_throttle_max_seconds`; the right password is refused too while locked (otherwise the
lock would not stop guessing), and the message says so. A successful sign-in resets the count.

Unknown emails are counted and locked exactly like real ones, so the answers never reveal whether
an account exists. Sign-ins for one email are serialised with a transaction-scoped advisory lock,
so parallel requests cannot all slip in under the limit.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import LoginThrottle
from tuneforge.config import Settings
from tuneforge.errors import TooManyRequests

# First key of the two-key advisory lock: keeps these locks apart from any other advisory lock.
_LOCK_NAMESPACE = 0x7466_6C74  # "tflt"
# A run of failures is forgotten after this long without one (or after the longest delay, if longer).
_FORGET_AFTER = timedelta(hours=24)


def lock_seconds(settings: Settings, failures: int) -> float:
    """How long an email is locked after its `failures`-th failure in a row (0: not locked)."""
    over = failures - settings.login_throttle_failures
    if over < 0:
        return 0.0
    return min(settings.login_throttle_seconds * 2 ** min(over, 40), settings.login_throttle_max_seconds)


def _forget_after(settings: Settings) -> timedelta:
    return max(_FORGET_AFTER, timedelta(seconds=settings.login_throttle_max_seconds))


async def guard(*, session: AsyncSession, settings: Settings, email: str) -> None:
    """Call before checking the password: waits for other sign-ins for this email, refuses while it is locked."""
    await session.execute(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, func.hashtext(email))))
    locked_until = await session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.email == email))
    now = datetime.now(UTC)
    if locked_until is not None and locked_until > now:
        seconds = math.ceil((locked_until - now).total_seconds())
        raise TooManyRequests(
            f"Too many failed sign-ins for this account; try again in {seconds} second{'' if seconds == 1 else 's'}. "
            "Until then every sign-in to it is refused, even with the right password. If you forgot it, "
            "ask your TuneForge administrator to reset it.",
            retry_after=seconds,
        )


async def record_failure(*, session: AsyncSession, settings: Settings, email: str) -> None:
    now = datetime.now(UTC)
    forget_before = now - _forget_after(settings)
    failures = await session.scalar(
        insert(LoginThrottle)
        .values(email=email, failures=1, last_failure_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.email],
            set_={
                "failures": case(
                    (LoginThrottle.last_failure_at < forget_before, 1), else_=LoginThrottle.failures + 1
                ),
                "last_failure_at": now,
                "locked_until": None,
            },
        )
        .returning(LoginThrottle.failures)
    )
    seconds = lock_seconds(settings, failures or 1)
    if seconds:
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.email == email)
            .values(locked_until=now + timedelta(seconds=seconds))
        )
    # Rows of emails nobody has tried for a day are of no use; keep the table small.
    await session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < forget_before,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    )


async def reset(*, session: AsyncSession, email: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.email == email))
