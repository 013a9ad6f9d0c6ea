"""WebSockets: a job's events (`/api/ws/jobs/{id}?after_seq=N`) and a team's job feed (`/api/ws/teams/{id}`).

Protocol: the client's first message is `{"type": "auth", "token": "<access token>"}` (browsers
cannot set headers on WebSockets, and tokens stay out of URLs and access logs). The server then
sends `{"kind": "event", "seq": ..., ...}` messages in seq order — first the backlog after
`after_seq`, then live ones — `{"kind": "synced", "seq": N}` once the backlog is out, and
`{"kind": "ping"}` when idle. Close codes: 4401 not signed in, 4404 no such job/team for you.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from tuneforge.config import get_settings
from tuneforge.web.deps import authenticate_token
from tuneforge.errors import AppError
from tuneforge.jobs.fanout import EVENT_COLUMNS, EventFanout, Watcher, event_message
from tuneforge.jobs.models import Job, JobEvent
from tuneforge.teams import service as teams_service

router = APIRouter(tags=["live"])

AUTH_TIMEOUT_S = 10
BACKLOG_PAGE = 2000


async def _authenticate(websocket: WebSocket) -> uuid.UUID | None:
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), timeout=AUTH_TIMEOUT_S)
        message = json.loads(raw)
        token = message["token"] if message.get("type") == "auth" else None
    except (TimeoutError, ValueError, KeyError, TypeError, WebSocketDisconnect):
        token = None
    if not isinstance(token, str):
        await websocket.close(code=4401, reason="Send {\"type\": \"auth\", \"token\": ...} first.")
        return None
    async with websocket.app.state.sessionmaker() as session:
        try:
            caller = await authenticate_token(session=session, settings=get_settings(), token=token)
        except AppError as exc:
            await websocket.close(code=4401, reason=exc.detail[:120])
            return None
    return caller.user.id


async def _pump(websocket: WebSocket, watcher: Watcher, send_backlog, sent: int) -> None:
    """Sends queued messages in order, skipping anything already sent, with keep-alive pings."""
    ping_every = get_settings().ws_ping_seconds
    while True:
        if watcher.lagging:
            watcher.lagging = False
            while not watcher.queue.empty():
                watcher.queue.get_nowait()
            sent = await send_backlog(sent)
            continue
        if not watcher.queue.empty():  # the common case under load: no timer needed
            seq, text = watcher.queue.get_nowait()
        else:
            try:
                seq, text = await asyncio.wait_for(watcher.queue.get(), timeout=ping_every)
            except TimeoutError:
                await websocket.send_json({"kind": "ping"})
                continue
        if seq is not None:
            if seq <= sent:
                continue
            sent = seq
        await websocket.send_text(text)


async def _until_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()


async def _serve(websocket: WebSocket, pump) -> None:
    reader = asyncio.create_task(_until_disconnect(websocket))
    writer = asyncio.create_task(pump)
    try:
        await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reader, writer):
            task.cancel()
        for task in (reader, writer):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, Exception):
                await task


@router.websocket("/ws/jobs/{job_id}")
async def job_events(websocket: WebSocket, job_id: uuid.UUID, after_seq: int = 0) -> None:
    await websocket.accept()
    user_id = await _authenticate(websocket)
    if user_id is None:
        return
    sessionmaker = websocket.app.state.sessionmaker
    async with sessionmaker() as session:
        job = await session.get(Job, job_id)
        allowed = job is not None
        if allowed:
            try:
                await teams_service.require_membership(session=session, user_id=user_id, team_id=job.team_id)
            except AppError:
                allowed = False
    if not allowed:
        await websocket.close(code=4404, reason="No such job, or it belongs to a team you are not in.")
        return

    fanout: EventFanout = websocket.app.state.fanout
    watcher = fanout.watch_job(job_id, max(after_seq, 0))

    async def send_backlog(sent: int) -> int:
        while True:
            async with sessionmaker() as session:
                rows = (
                    await session.execute(
                        select(*EVENT_COLUMNS).where(JobEvent.job_id == job_id, JobEvent.seq > sent).order_by(JobEvent.seq).limit(BACKLOG_PAGE)
                    )
                ).all()
            for event in rows:
                await websocket.send_text(json.dumps(event_message(event)))
                sent = event.seq
            watcher.cursor = max(watcher.cursor, sent)
            if len(rows) < BACKLOG_PAGE:
                return sent

    try:
        sent = await send_backlog(max(after_seq, 0))
        await websocket.send_json({"kind": "synced", "seq": sent})
        await _serve(websocket, _pump(websocket, watcher, send_backlog, sent))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        fanout.unwatch_job(job_id, watcher)


@router.websocket("/ws/teams/{team_id}")
async def team_feed(websocket: WebSocket, team_id: uuid.UUID) -> None:
    await websocket.accept()
    user_id = await _authenticate(websocket)
    if user_id is None:
        return
    async with websocket.app.state.sessionmaker() as session:
        try:
            await teams_service.require_membership(session=session, user_id=user_id, team_id=team_id)
        except AppError:
            await websocket.close(code=4404, reason="No such team, or you are not a member of it.")
            return
    fanout: EventFanout = websocket.app.state.fanout
    watcher = fanout.watch_team(team_id)

    async def no_backlog(sent: int) -> int:
        return sent

    try:
        await websocket.send_json({"kind": "synced"})
        await _serve(websocket, _pump(websocket, watcher, no_backlog, 0))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        fanout.unwatch_team(team_id, watcher)


