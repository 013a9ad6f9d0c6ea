"""Audit queries: a team's view (its events plus its members' account events), one's own account events,
filters, and keyset pagination newest first."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, cast, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from tuneforge.audit.models import AuditEvent
from tuneforge.errors import BadRequest
from tuneforge.teams.models import Membership

# Account events (team_id NULL) that a team's admins see for the team's current members.
ACCOUNT_ACTION_PREFIXES = ("auth.", "token.", "credential.")


@dataclass(frozen=True)
class Filters:
    action: str | None = None  # a prefix: "job." or "auth.sign_in"
    actor: str | None = None  # a user id, or an email (exact, case-insensitive)
    outcome: str | None = None
    target_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.action:
            found.append(AuditEvent.action.startswith(self.action.strip(), autoescape=True))
        if self.actor:
            actor = self.actor.strip()
            try:
                found.append(AuditEvent.actor_user_id == uuid.UUID(actor))
            except ValueError:
                found.append(func.lower(AuditEvent.actor_email) == actor.lower())
        if self.outcome:
            found.append(AuditEvent.outcome == self.outcome)
        if self.target_type:
            found.append(AuditEvent.target_type == self.target_type)
        if self.since is not None:
            found.append(AuditEvent.created_at >= self.since)
        if self.until is not None:
            found.append(AuditEvent.created_at < self.until)
        return found


def team_scope(team_id: uuid.UUID) -> ColumnElement[bool]:
    """The team's own events, and the account events of its current members: what they did (signing in,
    tokens, their own credentials) and failed sign-ins tried against their accounts."""
    members = select(Membership.user_id).where(Membership.team_id == team_id)
    member_ids_text = select(cast(Membership.user_id, String)).where(Membership.team_id == team_id)
    account = and_(
        AuditEvent.team_id.is_(None),
        or_(*[AuditEvent.action.startswith(prefix) for prefix in ACCOUNT_ACTION_PREFIXES]),
        or_(
            AuditEvent.actor_user_id.in_(members),
            and_(AuditEvent.target_type == "user", AuditEvent.target_id.in_(member_ids_text)),
        ),
    )
    return or_(AuditEvent.team_id == team_id, account)


def own_scope(user_id: uuid.UUID) -> ColumnElement[bool]:
    """One's own activity: everything one did (in any team, including teams since left or deleted), and
    sign-ins tried against one's account."""
    return or_(
        AuditEvent.actor_user_id == user_id,
        and_(AuditEvent.team_id.is_(None), AuditEvent.target_type == "user", AuditEvent.target_id == str(user_id)),
    )


def encode_cursor(event: AuditEvent) -> str:
    return base64.urlsafe_b64encode(f"{event.created_at.isoformat()}|{event.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, _, event_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), uuid.UUID(event_id)
    except ValueError:
        raise BadRequest("This page cursor is not valid: start again from the first page.") from None


def query(scope: ColumnElement[bool], filters: Filters) -> Select[tuple[AuditEvent]]:
    return (
        select(AuditEvent)
        .where(scope, *filters.clauses())
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )


async def page(
    *, session: AsyncSession, scope: ColumnElement[bool], filters: Filters, cursor: str | None, limit: int
) -> tuple[Sequence[AuditEvent], str | None]:
    statement = query(scope, filters)
    if cursor:
        at, event_id = decode_cursor(cursor)
        statement = statement.where(tuple_(AuditEvent.created_at, AuditEvent.id) < tuple_(at, event_id))
    rows = list(await session.scalars(statement.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more and rows else None
