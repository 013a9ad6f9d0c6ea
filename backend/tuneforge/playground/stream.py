"""Streaming an answer: the worker appends text to the generation row and rings `NOTIFY playground`.

Each write is one statement: it appends the piece, bumps `seq`, may change the status, and sends
`{"g": <generation id>, "seq": n, "d": "<piece>", "s": "<status>"}` (the piece is left out when it is
too long for a notification; listeners then read the row). PostgreSQL delivers the notification at
commit, so a listener never hears of text it cannot read. The row is the truth: a socket that joins
late, or misses a notification, sends the row (`snapshot`) and goes on from its `seq`.
The same statement returns `cancel_requested`, so the worker learns of a cancel with every write.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PLAYGROUND_CHANNEL = "playground"
INLINE_CHARS = 3000  # pieces up to this many characters ride in the notification (payloads stop at 8000 bytes)

_APPEND = text(
    """
    UPDATE generation SET
        text = text || CAST(:piece AS text),
        seq = seq + 1,
        status = COALESCE(CAST(:status AS varchar), status),
        finish_reason = COALESCE(CAST(:finish_reason AS varchar), finish_reason),
        error = COALESCE(CAST(:error AS text), error),
        stats = CASE WHEN CAST(:stats AS jsonb) IS NULL THEN stats ELSE stats || CAST(:stats AS jsonb) END,
        rendered_prompt = COALESCE(CAST(:rendered_prompt AS text), rendered_prompt),
        worker_name = COALESCE(CAST(:worker_name AS varchar), worker_name),
        updated_at = now()
    WHERE id = :id AND status NOT IN ('done', 'failed', 'cancelled')
    RETURNING seq, cancel_requested, status, pg_notify(:channel, json_build_object(
        'g', CAST(id AS text), 'seq', seq,
        'd', CASE WHEN length(CAST(:piece AS text)) <= :inline THEN CAST(:piece AS text) END,
        's', CASE WHEN CAST(:status AS varchar) IS NULL THEN NULL ELSE status END)::text)
    """
)


async def append(
    *, session: AsyncSession, generation_id: uuid.UUID, piece: str = "", status: str | None = None,
    finish_reason: str | None = None, error: str | None = None, stats: dict[str, Any] | None = None,
    rendered_prompt: str | None = None, worker_name: str | None = None,
) -> tuple[int, bool] | None:
    """Appends `piece` (and any changes) and announces it; returns (seq, cancel requested), or None
    when the generation no longer exists (its turn was deleted) or has already ended: an ended answer
    stays as it ended. (A queued answer cancelled just as a worker took it up would otherwise come back
    to life as "running" under the worker's next piece; the worker stops at the None instead.)"""
    row = (
        await session.execute(
            _APPEND,
            {
                "id": generation_id, "piece": piece, "status": status, "finish_reason": finish_reason, "error": error,
                "stats": json.dumps(stats) if stats is not None else None, "rendered_prompt": rendered_prompt,
                "worker_name": worker_name, "channel": PLAYGROUND_CHANNEL, "inline": INLINE_CHARS,
            },
        )
    ).first()
    if row is None:
        return None
    return int(row[0]), bool(row[1])

