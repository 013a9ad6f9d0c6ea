"""The worker's playground: answers chat turns and batch comparisons from the `playground` queue.

Models stay loaded between requests in one `ModelCache` per worker (bounded by
`TUNEFORGE_PLAYGROUND_CACHE_BYTES`; for LoRA versions the base is loaded once and adapters switched), so
only the first answer of a model pays for loading it. Generation runs in a thread; its text pieces are
gathered and written to the generation row with NOTIFY (`playground/stream.py`) — at once for the first
piece, then at most every FLUSH_S — and each write tells whether the user asked to stop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tuneforge.jobs.resolve import model_cache_dir, redact, version_files
from tuneforge.playground import stream
from tuneforge.playground.models import BatchCompare, BatchStatus, Generation, GenerationStatus, PlaygroundTurn
from tuneforge.registry.models import ModelVersion
from tuneforge.storage import Storage

log = logging.getLogger("tuneforge.worker.playground")

FLUSH_S = 0.05
CANCEL_POLL_S = 0.5
LOADING_AFTER_S = 0.3


def default_cache_bytes() -> int:
    import os

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 8 << 30
    return max(256 << 20, total // 3)


class _Failed(Exception):
    """An answer that cannot be given, with the message the user sees."""


class PlaygroundServer:
    def __init__(
        self, *, sessionmaker: async_sessionmaker[AsyncSession], storage: Storage, worker_name: str, max_bytes: int,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.worker_name = worker_name
        self.max_bytes = max_bytes
        self._cache = None
        self._lock = asyncio.Lock()  # one model computation at a time in this worker

    @property
    def cache(self):
        if self._cache is None:  # torch and transformers are imported on first use, not at worker start
            from tuneforge.training.generation import ModelCache

            self._cache = ModelCache(max_bytes=self.max_bytes, model_cache_dir=model_cache_dir(self.storage))
        return self._cache

    def _explain(self, exc: BaseException) -> str:
        from tuneforge.training.generation import ModelFilesBroken, NotAChatModel, PromptTooLong

        if isinstance(exc, _Failed | PromptTooLong | NotAChatModel):
            return str(exc)
        if isinstance(exc, ModelFilesBroken):
            return f"{exc} Delete this version from its page, or pick another."
        if isinstance(exc, MemoryError):
            return "The worker ran out of memory loading this model. Try a smaller model or a worker with more memory."
        return redact(f"The worker could not answer: {type(exc).__name__}: {exc}", self.storage)

    async def _folder(self, session: AsyncSession, target: dict[str, Any]) -> Path:
        version = await session.get(ModelVersion, uuid.UUID(target["version_id"]))
        if version is None:
            raise _Failed("This model version was deleted; pick another.")
        folder = self.storage.path(version.output_key)
        if not folder.is_dir():
            raise _Failed("The files of this model version are missing (its job's output was deleted). "
                          "Delete the version from its page, or pick another.")
        return folder

    # -- one answer ---------------------------------------------------------------------------

    async def generate(self, generation_id: uuid.UUID) -> None:
        try:
            await self._generate(generation_id)
        except Exception as exc:  # noqa: BLE001 — never leave an answer waiting forever
            log.exception("playground answer %s failed", generation_id)
            async with self.sessionmaker() as session:
                await stream.append(session=session, generation_id=generation_id, status="failed", error=self._explain(exc),
                                    worker_name=self.worker_name)
                await session.commit()

    async def _generate(self, generation_id: uuid.UUID) -> None:
        from tuneforge.training.generation import GenerationParams

        async with self.sessionmaker() as session:
            row = await session.get(Generation, generation_id)
            if row is None or row.status.terminal:
                return
            turn = await session.get(PlaygroundTurn, row.turn_id)
            if row.cancel_requested:
                await stream.append(session=session, generation_id=generation_id, status="cancelled", finish_reason="cancelled")
                await session.commit()
                return
            queued_ms = (datetime.now(UTC) - row.created_at).total_seconds() * 1000
            try:
                folder = await self._folder(session, row.target)
            except _Failed as exc:
                await stream.append(session=session, generation_id=generation_id, status="failed", error=str(exc),
                                    worker_name=self.worker_name)
                await session.commit()
                return
            use_adapter = not row.target.get("base")
            messages = list(turn.messages)
            p = turn.params
            params = GenerationParams(system=p.get("system"), temperature=p.get("temperature", 0.0), top_p=p.get("top_p", 1.0),
                                      max_new_tokens=p.get("max_new_tokens", 256), stop=tuple(p.get("stop") or ()),
                                      seed=p.get("seed"))
            await stream.append(session=session, generation_id=generation_id, worker_name=self.worker_name,
                                stats={"queue_ms": round(queued_ms, 1)})
            await session.commit()

        async with self._lock:
            await self._answer(generation_id, folder, use_adapter, messages, params)

    async def _answer(self, generation_id: uuid.UUID, folder: Path, use_adapter: bool, messages: list, params) -> None:
        from tuneforge.training import generation as engine

        loop = asyncio.get_running_loop()
        pieces: list[str] = []
        wake = asyncio.Event()
        stop = threading.Event()
        state = {"loaded": False}

        def on_text(piece: str) -> None:
            def add() -> None:
                pieces.append(piece)
                wake.set()

            loop.call_soon_threadsafe(add)

        def work():
            started = time.perf_counter()
            loaded = self.cache.acquire(folder, use_adapter=use_adapter)
            load_s = time.perf_counter() - started
            state["loaded"] = True
            loop.call_soon_threadsafe(wake.set)
            result = engine.generate(loaded, messages, params, on_text=on_text, should_stop=stop.is_set)
            return result, load_s

        task = asyncio.ensure_future(asyncio.to_thread(work))
        task.add_done_callback(lambda _t: loop.call_soon_threadsafe(wake.set))
        running = loading = False
        started = last_poll = time.monotonic()
        try:
            while True:
                try:
                    await asyncio.wait_for(wake.wait(), timeout=LOADING_AFTER_S if not loading else CANCEL_POLL_S)
                except TimeoutError:
                    pass
                wake.clear()
                if task.done():
                    break
                if state["loaded"] and not running or pieces:
                    piece = "".join(pieces)
                    pieces.clear()
                    async with self.sessionmaker() as session:
                        result = await stream.append(session=session, generation_id=generation_id, piece=piece,
                                                     status=None if running else "running")
                        await session.commit()
                    running = True
                    if result is None or result[1]:
                        stop.set()  # cancelled (or the turn was deleted): the thread stops at its next token
                    last_poll = time.monotonic()
                    if piece:
                        await asyncio.sleep(FLUSH_S)  # gather the next pieces into one write (never before the first)
                elif not state["loaded"] and not loading and time.monotonic() - started >= LOADING_AFTER_S:
                    loading = True  # the model is not in the cache: say so (a warm answer never shows this)
                    async with self.sessionmaker() as session:
                        await stream.append(session=session, generation_id=generation_id, status="loading")
                        await session.commit()
                elif time.monotonic() - last_poll >= CANCEL_POLL_S:
                    last_poll = time.monotonic()
                    async with self.sessionmaker() as session:
                        asked = await session.scalar(select(Generation.cancel_requested).where(Generation.id == generation_id))
                    if asked is None or asked:
                        stop.set()
            result, load_s = await task
        except Exception as exc:  # noqa: BLE001 — the user gets the reason; the worker goes on
            stop.set()
            expected = isinstance(exc, engine.PromptTooLong | engine.ModelFilesBroken | engine.NotAChatModel)
            log.warning("playground answer %s failed: %s", generation_id, type(exc).__name__, exc_info=not expected)
            async with self.sessionmaker() as session:
                await stream.append(session=session, generation_id=generation_id, piece="".join(pieces), status="failed",
                                    error=self._explain(exc))
                await session.commit()
            return
        finish = result.finish_reason
        stats = {
            "prompt_tokens": result.prompt_tokens, "new_tokens": result.new_tokens,
            "first_token_ms": round(result.first_token_s * 1000, 1) if result.first_token_s is not None else None,
            "tokens_per_s": round(result.tokens_per_s, 2) if result.tokens_per_s else None,
            "load_ms": round(load_s * 1000, 1), "cold": bool(result.cold),
        }
        async with self.sessionmaker() as session:
            # What is left of the streamed text: the final text is the result's (a stop string may cut the tail).
            current = await session.scalar(select(Generation.text).where(Generation.id == generation_id))
            rest = result.text[len(current):] if current is not None and result.text.startswith(current) else ""
            await stream.append(
                session=session, generation_id=generation_id, piece=rest,
                status="cancelled" if finish == "cancelled" else "done", finish_reason=finish, stats=stats,
                rendered_prompt=result.rendered_prompt,
            )
            if current is not None and not result.text.startswith(current):
                row = await session.get(Generation, generation_id)
                row.text = result.text
            await session.commit()

    # -- batch comparisons --------------------------------------------------------------------

    async def batch(self, batch_id: uuid.UUID) -> None:
        from tuneforge.training.generation import GenerationParams

        async with self.sessionmaker() as session:
            batch = await session.get(BatchCompare, batch_id, with_for_update=True)
            if batch is None or batch.status != BatchStatus.queued:
                return
            try:
                rows = await self._batch_rows(session, batch)
                folders = [await self._folder(session, t) for t in batch.targets]
            except _Failed as exc:
                batch.status, batch.error, batch.worker_name = BatchStatus.failed, str(exc), self.worker_name
                await session.commit()
                return
            targets = list(batch.targets)
            p = batch.params
            params = GenerationParams(system=p.get("system"), temperature=p.get("temperature", 0.0), top_p=p.get("top_p", 1.0),
                                      max_new_tokens=p.get("max_new_tokens", 128), stop=tuple(p.get("stop") or ()),
                                      seed=p.get("seed"))
            batch.rows = rows
            batch.total_rows = len(rows) * len(targets)
            batch.status, batch.worker_name = BatchStatus.running, self.worker_name
            await session.commit()
        try:
            async with self._lock:
                for index, (target, folder) in enumerate(zip(targets, folders, strict=True)):
                    for number, row in enumerate(rows):
                        if await self._batch_cancelled(batch_id):
                            return
                        answer, scores = await asyncio.to_thread(self._answer_row, folder, not target.get("base"), row, params)
                        row["answers"][index], row["scores"][index] = answer, scores
                        await self._save_batch(batch_id, rows, done=index * len(rows) + number + 1)
            await self._save_batch(batch_id, rows, done=len(rows) * len(targets), metrics=_averages(rows, len(targets)),
                                   status=BatchStatus.done)
        except Exception as exc:  # noqa: BLE001
            log.warning("batch comparison %s failed", batch_id, exc_info=True)
            async with self.sessionmaker() as session:
                batch = await session.get(BatchCompare, batch_id)
                if batch is not None:
                    batch.status, batch.error = BatchStatus.failed, self._explain(exc)
                    await session.commit()

    async def _batch_rows(self, session: AsyncSession, batch: BatchCompare) -> list[dict]:
        from tuneforge.datasets.models import DatasetVersion
        from tuneforge.training.data import prompt_messages
        from tuneforge.training.evaluation import prompt_and_reference

        version = await session.get(DatasetVersion, batch.dataset_version_id) if batch.dataset_version_id else None
        if version is None:
            raise _Failed("The dataset version was deleted; start a new comparison.")
        files = version_files(version)
        key = files.validation or files.train
        if not key or not self.storage.exists(key):
            raise _Failed("The dataset version's rows are missing from storage; upload it again.")
        rows: list[dict] = []
        n = len(batch.targets)
        with open(self.storage.path(key), encoding="utf-8") as handle:
            for line in handle:
                if len(rows) >= batch.max_rows:
                    break
                record = json.loads(line)
                found = prompt_and_reference(record)
                if found is None:
                    try:
                        prompt, reference = prompt_messages(record), None
                    except (KeyError, TypeError, IndexError):
                        continue
                else:
                    prompt, reference = found
                rows.append({"prompt": prompt, "reference": reference, "answers": [None] * n, "scores": [None] * n,
                             "pick": None})
        if not rows:
            raise _Failed("This dataset version has no rows with a prompt to answer.")
        return rows

    def _answer_row(self, folder: Path, use_adapter: bool, row: dict, params) -> tuple[str, dict | None]:
        from tuneforge.training import generation as engine
        from tuneforge.training.metrics import score_one

        loaded = self.cache.acquire(folder, use_adapter=use_adapter)
        try:
            result = engine.generate(loaded, row["prompt"], params)
        except engine.PromptTooLong:
            return "", None
        text = result.text.strip()
        return text, (score_one(text, row["reference"]) if row.get("reference") else None)

    async def _batch_cancelled(self, batch_id: uuid.UUID) -> bool:
        async with self.sessionmaker() as session:
            batch = await session.get(BatchCompare, batch_id, with_for_update=True)
            if batch is None:
                return True
            if batch.cancel_requested:
                batch.status = BatchStatus.cancelled
                await session.commit()
                return True
        return False

    async def _save_batch(self, batch_id: uuid.UUID, rows: list[dict], *, done: int, metrics: list | None = None,
                          status: BatchStatus | None = None) -> None:
        async with self.sessionmaker() as session:
            batch = await session.get(BatchCompare, batch_id, with_for_update=True)
            if batch is None:
                return
            batch.rows = [dict(r) for r in rows]
            batch.done_rows = done
            if metrics is not None:
                batch.metrics = metrics
            if status is not None:
                batch.status = status
            await session.commit()


def _averages(rows: list[dict], targets: int) -> list[dict]:
    """Per target: the task metrics over the rows that have a reference (corpus BLEU and mean ROUGE,
    exact match and token F1, as the evaluation report computes them), and the mean answer length."""
    from tuneforge.training.metrics import score_predictions

    out = []
    for index in range(targets):
        scored = [(r["answers"][index] or "", r["reference"]) for r in rows if r.get("reference") and r["answers"][index] is not None]
        answers = [r["answers"][index] for r in rows if r["answers"][index] is not None]
        metrics = {k: round(v, 4) for k, v in score_predictions([a for a, _ in scored], [ref for _, ref in scored]).items()} \
            if scored else {}
        out.append({**metrics, "rows_scored": len(scored),
                    "mean_answer_chars": round(sum(len(a) for a in answers) / len(answers), 1) if answers else None})
    return out
