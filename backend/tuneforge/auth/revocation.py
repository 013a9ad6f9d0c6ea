"""Tells every API process that sessions ended or a membership went, so open WebSockets close at once.

`NOTIFY session_revoked '<json>'` is sent in the caller's transaction, so it is delivered when (and
only if) the revocation commits. Each API process's fan-out LISTENs on the channel
(`tuneforge.jobs.fanout`) and closes the matching sockets: `{"sessions": [<family id>, ...]}` closes
every socket signed in with one of those sessions (4401); `{"user": <id>, "team": <id>}` closes that
user's sockets on that team (4404). Sockets also re-check in the database at their token's expiry and
every TUNEFORGE_WS_RECHECK_SECONDS, in case a notification was missed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

SESSION_REVOKED_CHANNEL = "session_revoked"

# A NOTIFY payload must stay under 8000 bytes; a session id takes 39 in the list.
_SESSIONS_PER_NOTIFICATION = 150


async def _notify(session: AsyncSession, body: dict) -> None:
    await session.execute(select(func.pg_notify(SESSION_REVOKED_CHANNEL, json.dumps(body, separators=(",", ":")))))


async def notify_sessions_ended(*, session: AsyncSession, family_ids: Iterable[uuid.UUID]) -> None:
    ids = sorted({str(family_id) for family_id in family_ids})
    for start in range(0, len(ids), _SESSIONS_PER_NOTIFICATION):
        await _notify(session, {"sessions": ids[start:start + _SESSIONS_PER_NOTIFICATION]})


async def notify_membership_ended(*, session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID) -> None:
    """To be called by whatever removes a member (or lowers them out of a team) in the same transaction."""
    await _notify(session, {"user": str(user_id), "team": str(team_id)})
