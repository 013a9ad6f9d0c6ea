"""WebSockets: a job's events (`/api/ws/jobs/{id}?after_seq=N`) and a team's job feed (`/api/ws/teams/{id}`).

Protocol: the client's first message is `{"type": "auth", "token": "<access token>"}` (or a personal API
token `tfp_...`, read or write; revoking it closes the socket like a logout) (browsers
cannot set headers on WebSockets, and tokens stay out of URLs and access logs). The server then
sends `{"kind": "event", "seq": ..., ...}` messages in seq order — first the backlog after
`after_seq`, then live ones — `{"kind": "synced", "seq": N}` once the backlog is out, and
`{"kind": "ping"}` when idle. Close codes: 4401 not signed in, 4404 no such job/team for you.

A socket lives no longer than what let it in: it closes with 4401 ("Your session ended; sign in
again.") when its session is revoked (logout, password change, refresh-token reuse: at once, through
NOTIFY session_revoked and the fan-out) or its access token expires (a timer), and with 4404 when its
user leaves the team. It also re-checks all of this in the database every TUNEFORGE_WS_RECHECK_SECONDS.
The SPA refreshes its tokens and reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from datetime import UTC, datetime

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from tuneforge import security
from tuneforge.auth import sign_in as sign_in_memory
from tuneforge.config import get_settings
from tuneforge.errors import AppError
from tuneforge.jobs import repository as jobs_repository
from tuneforge.jobs.fanout import (
    NO_LONGER_A_MEMBER_CODE, SESSION_ENDED, SESSION_ENDED_CODE, EventFanout, Holder, Watcher, event_message,
)
from tuneforge.teams import repository as teams_repository
from tuneforge.web.deps import authenticate_token

router = APIRouter(tags=["live"])

AUTH_TIMEOUT_S = 10
BACKLOG_PAGE = 2000


@dataclass
class _SignIn:
    user_id: uuid.UUID
    token: str
    expires_at: datetime
    holder: Holder  # registered with the fan-out: release it when the socket ends
    via: str = security.VIA_PASSWORD  # how it signed in: SSO-only teams admit "sso" only (tuneforge.auth.sign_in)


async def _authenticate(websocket: WebSocket, team_id: uuid.UUID | None = None) -> _SignIn | None:
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), timeout=AUTH_TIMEOUT_S)
        message = json.loads(raw)
        token = message["token"] if message.get("type") == "auth" else None
    except (TimeoutError, ValueError, KeyError, TypeError, WebSocketDisconnect):
        token = None
    if not isinstance(token, str):
        await websocket.close(code=4401, reason="Send {\"type\": \"auth\", \"token\": ...} first.")
        return None
    settings = get_settings()
    if security.is_api_token(token):
        return await _authenticate_api_token(websocket, token, team_id)
    try:
        user_id, session_id, via = security.decode_access_token_via(settings=settings, token=token)
        expires_at = security.access_token_expires_at(settings=settings, token=token)
    except security.InvalidAccessToken as exc:
        await websocket.close(code=4401, reason=str(exc)[:120])
        return None
    # Held before the database check, so a revocation committed from now on reaches this socket.
    fanout: EventFanout = websocket.app.state.fanout
    holder = fanout.hold(user_id=user_id, session_id=session_id, team_id=team_id)
    async with websocket.app.state.sessionmaker() as session:
        try:
            await authenticate_token(session=session, settings=settings, token=token)
        except AppError as exc:
            fanout.release(holder)
            await websocket.close(code=4401, reason=exc.detail[:120])
            return None
    return _SignIn(user_id=user_id, token=token, expires_at=expires_at, holder=holder, via=via)


async def _authenticate_api_token(websocket: WebSocket, token: str, team_id: uuid.UUID | None) -> _SignIn | None:
    """A personal API token (read or write: a socket only reads). Its id is its "session" for the fan-out,
    so revoking it closes the socket; it closes at the token's expiry too."""
    settings = get_settings()
    fanout: EventFanout = websocket.app.state.fanout
    async with websocket.app.state.sessionmaker() as session:
        try:
            caller = await authenticate_token(session=session, settings=settings, token=token)
        except AppError as exc:
            await websocket.close(code=4401, reason=exc.detail[:120])
            return None
        assert caller.api_token is not None
        holder = fanout.hold(user_id=caller.user.id, session_id=caller.session_id, team_id=team_id)
        await session.commit()  # last_used_at
    # Checked again once held, so a revocation committed in between reaches this socket too.
    async with websocket.app.state.sessionmaker() as session:
        try:
            await authenticate_token(session=session, settings=settings, token=token)
        except AppError as exc:
            fanout.release(holder)
            await websocket.close(code=4401, reason=exc.detail[:120])
            return None
    return _SignIn(user_id=caller.user.id, token=token, expires_at=caller.api_token.expires_at, holder=holder,
                   via=caller.via)


async def _still_allowed(websocket: WebSocket, sign_in: _SignIn, team_id: uuid.UUID | None) -> tuple[int, str] | None:
    """None while the session is live and the user in the team; else the close code and reason."""
    async with websocket.app.state.sessionmaker() as session:
        try:
            await authenticate_token(session=session, settings=get_settings(), token=sign_in.token)
        except AppError:
            return SESSION_ENDED_CODE, SESSION_ENDED
        if team_id is None:
            return None
        try:
            await teams_repository.require_membership(session=session, user_id=sign_in.user_id, team_id=team_id)
        except AppError:
            return NO_LONGER_A_MEMBER_CODE, teams_repository.NOT_A_MEMBER
    return None


async def _guard(websocket: WebSocket, sign_in: _SignIn) -> tuple[int, str]:
    """Returns (close code, reason) once the socket must close: its session was revoked or its user left
    the team (the fan-out ends the holder), its token expired (a timer), or a re-check in the database
    says so (every ws_recheck_seconds, and whenever the fan-out asks after missing notifications)."""
    holder = sign_in.holder
    recheck_every = get_settings().ws_recheck_seconds
    while True:
        left = (sign_in.expires_at - datetime.now(UTC)).total_seconds()
        if left <= 0:
            return SESSION_ENDED_CODE, SESSION_ENDED
        try:
            await asyncio.wait_for(holder.wake.wait(), timeout=min(left, recheck_every))
        except TimeoutError:
            pass
        holder.wake.clear()
        if holder.close_code is not None:
            return holder.close_code, holder.close_reason
        if datetime.now(UTC) >= sign_in.expires_at:
            return SESSION_ENDED_CODE, SESSION_ENDED
        problem = await _still_allowed(websocket, sign_in, holder.team_id)
        if problem is not None:
            return problem


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


async def _serve(websocket: WebSocket, pump, guard) -> None:
    reader = asyncio.create_task(_until_disconnect(websocket))
    writer = asyncio.create_task(pump)
    guardian = asyncio.create_task(guard)
    tasks = (reader, writer, guardian)
    try:
        await asyncio.wait(set(tasks), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, Exception):
                await task
    if guardian.done() and not guardian.cancelled() and guardian.exception() is None:
        code, reason = guardian.result()
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.close(code=code, reason=reason)


async def open_for(websocket: WebSocket, load: Callable[..., Awaitable[Any]], not_found: str) -> _SignIn | None:
    """Accepts the socket, signs its user in and loads what it follows with `load(session=, user_id=)`
    (which refuses a team the user is not in); None once the socket was closed (4401 or 4404)."""
    await websocket.accept()
    sign_in = await _authenticate(websocket)
    if sign_in is None:
        return None
    async with websocket.app.state.sessionmaker() as session:
        sign_in_memory.remember(session, sign_in.via)
        try:
            followed = await load(session=session, user_id=sign_in.user_id)
        except AppError:
            followed = None
    if followed is None:
        websocket.app.state.fanout.release(sign_in.holder)
        await websocket.close(code=4404, reason=not_found)
        return None
    sign_in.holder.team_id = followed.team_id
    return sign_in


@router.websocket("/ws/jobs/{job_id}")
async def job_events(websocket: WebSocket, job_id: uuid.UUID, after_seq: int = 0) -> None:
    sign_in = await open_for(websocket, functools.partial(jobs_repository.get_for_member, job_id=job_id),
                             jobs_repository.NO_SUCH_JOB)
    if sign_in is None:
        return
    fanout: EventFanout = websocket.app.state.fanout
    sessionmaker = websocket.app.state.sessionmaker

    watcher = fanout.watch_job(job_id, max(after_seq, 0))

    async def send_backlog(sent: int) -> int:
        while True:
            async with sessionmaker() as session:
                rows = await jobs_repository.event_rows_after(session=session, job_id=job_id, after_seq=sent, limit=BACKLOG_PAGE)
            for event in rows:
                await websocket.send_text(json.dumps(event_message(event)))
                sent = event.seq
            watcher.cursor = max(watcher.cursor, sent)
            if len(rows) < BACKLOG_PAGE:
                return sent

    try:
        sent = await send_backlog(max(after_seq, 0))
        await websocket.send_json({"kind": "synced", "seq": sent})
        await _serve(websocket, _pump(websocket, watcher, send_backlog, sent), _guard(websocket, sign_in))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        fanout.unwatch_job(job_id, watcher)
        fanout.release(sign_in.holder)


@router.websocket("/ws/teams/{team_id}")
async def team_feed(websocket: WebSocket, team_id: uuid.UUID) -> None:
    await websocket.accept()
    sign_in = await _authenticate(websocket, team_id)
    if sign_in is None:
        return
    fanout: EventFanout = websocket.app.state.fanout
    async with websocket.app.state.sessionmaker() as session:
        sign_in_memory.remember(session, sign_in.via)
        try:
            await teams_repository.require_membership(session=session, user_id=sign_in.user_id, team_id=team_id)
        except AppError:
            fanout.release(sign_in.holder)
            await websocket.close(code=4404, reason=teams_repository.NOT_A_MEMBER)
            return
    watcher = fanout.watch_team(team_id)

    async def no_backlog(sent: int) -> int:
        return sent

    try:
        await websocket.send_json({"kind": "synced"})
        await _serve(websocket, _pump(websocket, watcher, no_backlog, 0), _guard(websocket, sign_in))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        fanout.unwatch_team(team_id, watcher)
        fanout.release(sign_in.holder)


