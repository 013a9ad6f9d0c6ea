"""Recording audit events. `record` writes in the caller's transaction (the event stands or falls with the
action); `record_detached` writes in a transaction of its own, for refusals and failures whose request then
raises and rolls back. Never put secrets in `detail`: admins read and export it."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tuneforge.audit.context import AuditContext, current
from tuneforge.audit.models import AuditEvent, Outcome

log = logging.getLogger("tuneforge.audit")


def _event(
    *,
    action: str,
    actor: Any = None,
    actor_email: str | None = None,
    team_id: uuid.UUID | str | None = None,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    target_label: str | None = None,
    outcome: Outcome | str = Outcome.success,
    detail: dict[str, Any] | None = None,
    via: str | None = None,
    context: AuditContext | None = None,
) -> dict[str, Any]:
    context = context if context is not None else current()
    return {
        "id": uuid.uuid4(),
        "created_at": datetime.now(UTC),
        "action": action,
        "actor_user_id": getattr(actor, "id", None),
        "actor_email": actor_email or getattr(actor, "email", None),
        "via": via or (context.via if context is not None and actor is not None else None),
        "team_id": uuid.UUID(str(team_id)) if team_id is not None else None,
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "target_label": target_label[:300] if target_label else target_label,
        "outcome": Outcome(outcome).value,
        "detail": detail,
        "ip": context.ip if context is not None else None,
        "user_agent": context.user_agent if context is not None else None,
    }


async def record(
    session: AsyncSession,
    *,
    action: str,
    actor: Any = None,
    actor_email: str | None = None,
    team_id: uuid.UUID | str | None = None,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    target_label: str | None = None,
    outcome: Outcome | str = Outcome.success,
    detail: dict[str, Any] | None = None,
    via: str | None = None,
) -> None:
    """Adds an event to `session`'s transaction. `actor` is a User (or None: the system, or someone not
    signed in — then `actor_email` may say who they claimed to be). Address and user agent come from the
    request; `via` too unless given (a sign-in says how it happened)."""
    session.add(AuditEvent(**_event(
        action=action, actor=actor, actor_email=actor_email, team_id=team_id, target_type=target_type,
        target_id=target_id, target_label=target_label, outcome=outcome, detail=detail, via=via,
    )))


async def record_detached(
    *,
    action: str,
    actor: Any = None,
    actor_email: str | None = None,
    team_id: uuid.UUID | str | None = None,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    target_label: str | None = None,
    outcome: Outcome | str = Outcome.success,
    detail: dict[str, Any] | None = None,
    via: str | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> None:
    """Records an event that must survive the caller's rollback, in a committed transaction of its own.

    Inside a request it is written once the request's own transaction is over, before the answer goes out
    (the audit middleware does it): a second connection held during the request could exhaust the pool.
    Elsewhere (worker, CLI) it is written at once with `sessionmaker`."""
    context = current()
    values = _event(
        action=action, actor=actor, actor_email=actor_email, team_id=team_id, target_type=target_type,
        target_id=target_id, target_label=target_label, outcome=outcome, detail=detail, via=via, context=context,
    )
    if context is not None and sessionmaker is None:
        context.pending.append(values)
        return
    if sessionmaker is None:
        raise RuntimeError("record_detached outside a request needs a sessionmaker.")
    async with sessionmaker() as session:
        session.add(AuditEvent(**values))
        await session.commit()


async def write_pending(context: AuditContext) -> None:
    """Writes what record_detached queued during a request. A failure is logged, not raised: the
    response has already gone."""
    events, context.pending = context.pending, []
    if context.sessionmaker is None:
        log.error("audit: %d event(s) lost: no sessionmaker in the request context", len(events))
        return
    try:
        async with context.sessionmaker() as session:
            session.add_all([AuditEvent(**values) for values in events])
            await session.commit()
    except Exception:
        log.exception("audit: could not write %d event(s): %s", len(events), [e["action"] for e in events])


async def prune(*, session: AsyncSession, retention_days: int, now: datetime | None = None) -> int:
    """Deletes events older than `retention_days` (0: keeps everything). The only delete the database
    trigger allows, and only in this transaction (SET LOCAL). Returns how many went."""
    if retention_days <= 0:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    await session.execute(text("SET LOCAL tuneforge.audit_prune = 'on'"))
    result = await session.execute(delete(AuditEvent).where(AuditEvent.created_at < cutoff))
    await session.execute(text("SET LOCAL tuneforge.audit_prune = 'off'"))
    return result.rowcount or 0


PRUNE_EVERY_S = 3600.0


async def prune_expired(*, sessionmaker: async_sessionmaker[AsyncSession], retention_days: int) -> int:
    """One retention pass in its own transaction (the workers run it hourly; several at once do no harm)."""
    if retention_days <= 0:
        return 0
    async with sessionmaker() as session:
        pruned = await prune(session=session, retention_days=retention_days)
        await session.commit()
    if pruned:
        log.info("audit: pruned %d event(s) older than %d days", pruned, retention_days)
    return pruned
