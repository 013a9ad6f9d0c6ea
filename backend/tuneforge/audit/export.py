"""The CSV export: every event a filter matches, streamed in batches, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import ColumnElement

from tuneforge.audit import repository
from tuneforge.audit.models import AuditEvent

COLUMNS = ["time", "actor_email", "actor_user_id", "via", "action", "outcome", "target_type", "target_id",
           "target_label", "ip", "user_agent", "team_id", "detail", "event_id"]
BATCH = 1000
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading ' when a spreadsheet would otherwise run it as a formula: event fields
    hold what users typed (dataset names, emails tried at sign-in)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(event: AuditEvent) -> list[str]:
    values = [
        event.created_at.isoformat(), event.actor_email, event.actor_user_id, event.via, event.action, event.outcome,
        event.target_type, event.target_id, event.target_label, event.ip, event.user_agent, event.team_id,
        json.dumps(event.detail, sort_keys=True, ensure_ascii=False) if event.detail is not None else None, event.id,
    ]
    return [safe_cell(v) for v in values]


def _encode(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


async def stream_csv(
    *, sessionmaker: async_sessionmaker[AsyncSession], scope: ColumnElement[bool], filters: repository.Filters
) -> AsyncIterator[bytes]:
    """Newest first, in batches under one read-only session of its own: the request's session is closed
    by the time the body streams. Keyset paging, so rows added meanwhile neither repeat nor shift pages."""
    yield b"\xef\xbb\xbf" + _encode([COLUMNS])  # the BOM: Excel then reads the file as UTF-8
    statement = repository.query(scope, filters)
    after: tuple[Any, Any] | None = None
    async with sessionmaker() as session:
        while True:
            batch = statement if after is None else statement.where(
                tuple_(AuditEvent.created_at, AuditEvent.id) < tuple_(*after)
            )
            events = list(await session.scalars(batch.limit(BATCH)))
            if not events:
                break
            yield _encode([_row(e) for e in events])
            if len(events) < BATCH:
                break
            after = (events[-1].created_at, events[-1].id)
            session.expunge_all()
