"""An answer that has ended stays as it ended (tuneforge.playground.stream.append): a queued answer the
user stops just as a worker takes it up must not come back to life as "running" under the worker's next
piece — the worker is told to stop instead. (Seen as a flaky 409 "still being written" on a tie after
both answers had shown "cancelled".)"""

from __future__ import annotations

import uuid

from tuneforge.playground import stream
from tuneforge.playground.models import Generation, GenerationStatus, PlaygroundTurn


async def _queued_answer(app, account) -> Generation:
    """A turn with one queued answer (of a base model: no worker needed to create it)."""
    async with app.state.sessionmaker() as session:
        turn = PlaygroundTurn(team_id=uuid.UUID(account.team_id), user_id=uuid.UUID(account.tokens["user"]["id"]),
                              params={}, messages=[{"role": "user", "content": "2 + 2?"}])
        session.add(turn)
        await session.flush()
        generation = Generation(team_id=turn.team_id, turn_id=turn.id, slot=0, status=GenerationStatus.queued, text="",
                                target={"version_id": str(uuid.uuid4()), "base": True, "label": "base"})
        session.add(generation)
        await session.commit()
    return generation


async def test_a_cancelled_answer_stays_cancelled_whatever_the_worker_writes_next(app, register, client):
    ana = await register("ana@example.com")
    generation = await _queued_answer(app, ana)

    # The user stops it while it is still queued: it ends at once.
    stopped = await client.post(f"/api/playground/generations/{generation.id}/cancel", headers=ana.headers)
    assert stopped.status_code in (200, 202, 204), stopped.text
    # A worker that had already taken it up writes its first piece, then its end.
    async with app.state.sessionmaker() as session:
        assert await stream.append(session=session, generation_id=generation.id, piece="4", status="running") is None
        assert await stream.append(session=session, generation_id=generation.id, piece="", status="done",
                                   finish_reason="stop") is None
        await session.commit()

    shown = (await client.get(f"/api/playground/generations/{generation.id}", headers=ana.headers)).json()
    assert (shown["status"], shown["text"], shown["finish_reason"]) == ("cancelled", "", "cancelled")


async def test_a_running_answer_still_streams_and_ends(app, register, client):
    ana = await register("ana@example.com")
    generation = await _queued_answer(app, ana)
    async with app.state.sessionmaker() as session:
        first = await stream.append(session=session, generation_id=generation.id, piece="The sum", status="running")
        second = await stream.append(session=session, generation_id=generation.id, piece=" is 4.", status="done",
                                     finish_reason="stop")
        await session.commit()
    assert first is not None and second is not None and second[0] == first[0] + 1
    shown = (await client.get(f"/api/playground/generations/{generation.id}", headers=ana.headers)).json()
    assert (shown["status"], shown["text"]) == ("done", "The sum is 4.")
