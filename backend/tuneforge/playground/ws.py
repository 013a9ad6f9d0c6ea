"""`/api/ws/generations/{id}`: a playground answer as it is written.

Same sign-in and lifetime rules as the job sockets (jobs/ws.py): the first message is
`{"type": "auth", "token": ...}`; the socket closes with 4401 when the session ends and 4404 when the
answer is not yours to see. Then the server sends `{"kind": "snapshot", "generation": {...}}` (the row:
status, text so far, seq, stats), then `{"kind": "delta", "seq": n, "text": "..."}` for each new piece,
and another snapshot on every status change or whenever it may have missed a piece (it re-reads the
row). It closes normally (1000) after the snapshot of a finished, failed or cancelled answer.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from tuneforge.config import get_settings
from tuneforge.jobs.fanout import EventFanout
from tuneforge.jobs.ws import _guard, _serve, open_for
from tuneforge.playground import repository, service

router = APIRouter(tags=["live"])


@router.websocket("/ws/generations/{generation_id}")
async def generation_stream(websocket: WebSocket, generation_id: uuid.UUID) -> None:
    sign_in = await open_for(websocket, functools.partial(repository.generation_for_member, generation_id=generation_id),
                             repository.NO_SUCH_ANSWER)
    if sign_in is None:
        return
    fanout: EventFanout = websocket.app.state.fanout
    sessionmaker = websocket.app.state.sessionmaker
    watcher = fanout.watch_generation(generation_id)

    async def snapshot() -> tuple[int, bool]:
        async with sessionmaker() as session:
            found = await service.current_generation(session=session, generation_id=generation_id)
        if found is None:  # deleted meanwhile
            return -1, True
        read, finished = found
        await websocket.send_text(json.dumps({"kind": "snapshot", "generation": read.model_dump(mode="json")}))
        return read.seq, finished

    async def pump(sent: int) -> None:
        ping_every = get_settings().ws_ping_seconds
        while True:
            if watcher.lagging:
                watcher.lagging = False
                while not watcher.queue.empty():
                    watcher.queue.get_nowait()
                sent, finished = await snapshot()
                if finished:
                    return
                continue
            try:
                _, payload = await asyncio.wait_for(watcher.queue.get(), timeout=ping_every)
            except TimeoutError:
                await websocket.send_json({"kind": "ping"})
                continue
            try:
                message = json.loads(payload)
                seq = int(message["seq"])
            except (ValueError, KeyError, TypeError):
                continue
            if seq <= sent:
                continue
            if seq == sent + 1 and message.get("d") is not None and message.get("s") is None:
                await websocket.send_text(json.dumps({"kind": "delta", "seq": seq, "text": message["d"]}))
                sent = seq
                continue
            sent, finished = await snapshot()  # a status change, a long piece, or a gap: the row says it all
            if finished:
                return

    try:
        sent, finished = await snapshot()
        if not finished:
            await _serve(websocket, pump(sent), _guard(websocket, sign_in))
        if websocket.application_state == WebSocketState.CONNECTED:
            await websocket.close(code=1000)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        fanout.unwatch_generation(generation_id, watcher)
        fanout.release(sign_in.holder)
