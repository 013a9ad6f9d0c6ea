"""Per-API-process fan-out of job events: one LISTEN connection, any number of WebSocket watchers.

Workers `NOTIFY job_events '<job_id>:<last_seq>'` when they commit events. On a notification the
fan-out reads the new rows of that job once (seq above the lowest cursor among its watchers) and hands
each watcher the events past its own cursor. Watchers also read their backlog from the table, so a
client that reconnects with its last seq gets every event exactly once, whichever API process it
reaches and whatever happened in between. If the LISTEN connection drops, the fan-out reconnects and
re-reads every watched job (nothing published meanwhile is missed).

The same connection LISTENs on `session_revoked` (`tuneforge.auth.revocation`): each open socket holds a
`Holder` naming its user, session and team, and a notification ends the matching holders at once (the
socket then closes: 4401 for an ended session, 4404 for a lost membership). After a reconnect every
holder is asked to re-check in the database, since a notification may have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tuneforge.auth.revocation import SESSION_REVOKED_CHANNEL
from tuneforge.jobs.event_store import JOB_EVENTS_CHANNEL, TEAM_JOBS_CHANNEL
from tuneforge.jobs import repository
from tuneforge.playground.stream import PLAYGROUND_CHANNEL
from tuneforge.teams.repository import NOT_A_MEMBER

log = logging.getLogger("tuneforge.jobs.fanout")

QUEUE_LIMIT = 5000
RECONNECT_MAX_S = 3.0

SESSION_ENDED = "Your session ended; sign in again."
SESSION_ENDED_CODE = 4401
NO_LONGER_A_MEMBER_CODE = 4404


def event_message(event: Any) -> dict[str, Any]:
    return {
        "kind": "event",
        "seq": event.seq,
        "type": event.type,
        "attempt": event.attempt,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }


@dataclass(eq=False)
class Watcher:
    cursor: int
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT))
    # Set when the queue overflowed: the watcher must re-read from the table.
    lagging: bool = False

    def offer(self, message: tuple[int | None, str]) -> None:
        """`message` is (seq or None, JSON text): encoded once, sent to every watcher as is."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.lagging = True


@dataclass(eq=False)
class Holder:
    """Who an open socket serves. `wake` is set when it must close (`end`) or re-check in the database."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    team_id: uuid.UUID | None  # None until a job socket has loaded its job
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    close_reason: str = ""

    def end(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self.wake.set()


class EventFanout:
    def __init__(self, *, dsn: str, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.dsn = dsn
        self.sessionmaker = sessionmaker
        self.job_watchers: dict[uuid.UUID, set[Watcher]] = defaultdict(set)
        self.team_watchers: dict[uuid.UUID, set[Watcher]] = defaultdict(set)
        self.holders: dict[uuid.UUID, set[Holder]] = defaultdict(set)  # by session id
        # Playground answers: each notification is handed to the answer's sockets as it came (playground/ws.py).
        self.generation_watchers: dict[uuid.UUID, set[Watcher]] = defaultdict(set)
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task | None = None
        self._pending: dict[uuid.UUID, asyncio.Task] = {}
        self._dirty: set[uuid.UUID] = set()
        self._stopping = False
        self.connected = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="event-fanout")

    async def stop(self) -> None:
        self._stopping = True
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()

    async def _listen_forever(self) -> None:
        delay = 0.5
        while not self._stopping:
            lost = asyncio.Event()
            try:
                self._connection = await asyncpg.connect(self.dsn, timeout=10)
                self._connection.add_termination_listener(lambda _conn: lost.set())
                await self._connection.add_listener(JOB_EVENTS_CHANNEL, self._on_job_event)
                await self._connection.add_listener(TEAM_JOBS_CHANNEL, self._on_team_event)
                await self._connection.add_listener(SESSION_REVOKED_CHANNEL, self._on_session_revoked)
                await self._connection.add_listener(PLAYGROUND_CHANNEL, self._on_generation)
                self.connected.set()
                delay = 0.5
                # A revocation published while we were not listening is found by a re-check.
                for holder in self._all_holders():
                    holder.wake.set()
                # Anything published while we were not listening is read now.
                for job_id in list(self.job_watchers):
                    self._schedule(job_id)
                for watchers in list(self.generation_watchers.values()):
                    for watcher in list(watchers):
                        watcher.lagging = True  # they re-read their answer's row
                        watcher.offer((None, "{}"))
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), timeout=10)
                    except TimeoutError:
                        # A cheap query notices a half-dead connection that raised no event.
                        await asyncio.wait_for(self._connection.execute("SELECT 1"), timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — keep trying; watchers re-read on reconnect
                log.warning("event fan-out lost its database connection (%s); reconnecting", type(exc).__name__)
            finally:
                self.connected.clear()
                if self._connection is not None and not self._connection.is_closed():
                    try:
                        await self._connection.close()
                    except Exception:  # noqa: BLE001
                        pass
            if not self._stopping:
                # At most a few seconds: watchers hear nothing until the database is back in view.
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    # -- watchers ----------------------------------------------------------------------------

    def watch_job(self, job_id: uuid.UUID, after_seq: int) -> Watcher:
        watcher = Watcher(cursor=after_seq)
        self.job_watchers[job_id].add(watcher)
        return watcher

    def unwatch_job(self, job_id: uuid.UUID, watcher: Watcher) -> None:
        watchers = self.job_watchers.get(job_id)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                self.job_watchers.pop(job_id, None)

    def watch_team(self, team_id: uuid.UUID) -> Watcher:
        watcher = Watcher(cursor=0)
        self.team_watchers[team_id].add(watcher)
        return watcher

    def unwatch_team(self, team_id: uuid.UUID, watcher: Watcher) -> None:
        watchers = self.team_watchers.get(team_id)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                self.team_watchers.pop(team_id, None)

    def watch_generation(self, generation_id: uuid.UUID) -> Watcher:
        watcher = Watcher(cursor=0)
        self.generation_watchers[generation_id].add(watcher)
        return watcher

    def unwatch_generation(self, generation_id: uuid.UUID, watcher: Watcher) -> None:
        watchers = self.generation_watchers.get(generation_id)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                self.generation_watchers.pop(generation_id, None)

    def hold(self, *, user_id: uuid.UUID, session_id: uuid.UUID, team_id: uuid.UUID | None = None) -> Holder:
        holder = Holder(user_id=user_id, session_id=session_id, team_id=team_id)
        self.holders[session_id].add(holder)
        return holder

    def release(self, holder: Holder) -> None:
        holders = self.holders.get(holder.session_id)
        if holders is not None:
            holders.discard(holder)
            if not holders:
                self.holders.pop(holder.session_id, None)

    def _all_holders(self) -> list[Holder]:
        return [holder for holders in list(self.holders.values()) for holder in list(holders)]

    # -- notifications -----------------------------------------------------------------------

    def _on_session_revoked(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        """`{"sessions": [...]}`: those sessions ended; `{"user": ..., "team": ...}`: a membership ended."""
        try:
            body = json.loads(payload)
            sessions = [uuid.UUID(s) for s in body.get("sessions", ())]
            user = uuid.UUID(body["user"]) if body.get("user") else None
            team = uuid.UUID(body["team"]) if body.get("team") else None
        except (ValueError, TypeError, AttributeError):
            return
        for session_id in sessions:
            for holder in list(self.holders.get(session_id, ())):
                holder.end(SESSION_ENDED_CODE, SESSION_ENDED)
        if user is not None and team is not None:
            for holder in self._all_holders():
                if holder.user_id == user and holder.team_id == team:
                    holder.end(NO_LONGER_A_MEMBER_CODE, NOT_A_MEMBER)

    def _on_job_event(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        """Payload: `<job>:<last_seq>:<n>[:<inline events>]`."""
        parts = payload.split(":", 3)
        try:
            job_id = uuid.UUID(parts[0])
        except ValueError:
            return
        if job_id not in self.job_watchers:
            return
        if len(parts) == 4 and job_id not in self._pending and self._deliver_inline(job_id, parts):
            return
        self._schedule(job_id)

    def _deliver_inline(self, job_id: uuid.UUID, parts: list[str]) -> bool:
        """Hands events carried by the notification to watchers that are exactly up to date; any
        watcher behind them is served by a read of the table instead (returns False)."""
        try:
            last_seq, count = int(parts[1]), int(parts[2])
            inline = json.loads(parts[3])
        except (ValueError, TypeError):
            return False
        first = last_seq - count + 1
        watchers = list(self.job_watchers.get(job_id, ()))
        if any(w.cursor < first - 1 for w in watchers):
            return False
        messages = [
            (
                first + i,
                json.dumps({
                    "kind": "event", "seq": first + i, "type": kind, "attempt": inline["attempt"],
                    "data": json.loads(data), "created_at": inline["created_at"],
                }),
            )
            for i, (kind, data) in enumerate(zip(inline["types"], inline["datas"]))
        ]
        for watcher in watchers:
            for seq, text in messages:
                if seq > watcher.cursor:
                    watcher.offer((seq, text))
            watcher.cursor = max(watcher.cursor, last_seq)
        return True

    def _on_generation(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        """Payload: `{"g": <generation id>, "seq": n, "d": piece or null, "s": status or null}`."""
        try:
            generation_id = uuid.UUID(json.loads(payload)["g"])
        except (ValueError, KeyError, TypeError):
            return
        for watcher in list(self.generation_watchers.get(generation_id, ())):
            watcher.offer((None, payload))

    def _on_team_event(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            body = json.loads(payload)
            team_id = uuid.UUID(body["team_id"])
        except (ValueError, KeyError, TypeError):
            return
        text = json.dumps({"kind": "job", "job_id": body.get("job_id"), "status": body.get("status")})
        for watcher in list(self.team_watchers.get(team_id, ())):
            watcher.offer((None, text))

    def _schedule(self, job_id: uuid.UUID) -> None:
        """One read per job at a time; notifications arriving meanwhile fold into one more read."""
        if job_id in self._pending:
            self._dirty.add(job_id)
            return
        self._pending[job_id] = asyncio.create_task(self._deliver(job_id))

    async def _deliver(self, job_id: uuid.UUID) -> None:
        try:
            while True:
                self._dirty.discard(job_id)
                watchers = list(self.job_watchers.get(job_id, ()))
                if not watchers:
                    return
                since = min(w.cursor for w in watchers)
                async with self.sessionmaker() as session:
                    rows = await repository.event_rows_after(session=session, job_id=job_id, after_seq=since, limit=5000)
                messages = [(e.seq, json.dumps(event_message(e))) for e in rows]
                for watcher in watchers:
                    fresh = [m for m in messages if m[0] > watcher.cursor]
                    for message in fresh:
                        watcher.offer(message)
                    if fresh:
                        watcher.cursor = fresh[-1][0]
                if job_id not in self._dirty and len(rows) < 5000:
                    return
        except Exception:  # noqa: BLE001 — watchers re-read on their next wake-up
            log.exception("could not deliver events of job %s", job_id)
        finally:
            self._pending.pop(job_id, None)
