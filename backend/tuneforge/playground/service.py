"""The playground's rules: which models a turn may ask for, handing answers to workers, blind turns,
feedback saved as dataset versions, and batch comparisons.

Generation never runs here: a turn stores one `generation` row per side and enqueues "answer X" on the
`playground` queue; a worker (`tuneforge.worker.playground`) loads the model and streams the text.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.datasets import service as datasets
from tuneforge.datasets.models import Dataset, DatasetVersion, Operation
from tuneforge.datasets.schemas import IngestOptionsIn
from tuneforge.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from tuneforge.jobs import queue
from tuneforge.jobs.resolve import VERSION_PREFIX
from tuneforge.playground import repository, stream
from tuneforge.playground.models import (
    BatchCompare, BatchStatus, Feedback, FeedbackDataset, FeedbackKind, Generation, GenerationStatus, PlaygroundTurn,
)
from tuneforge.playground.schemas import (
    BatchCreate, BatchRead, BatchRow, BatchSummary, BatchTarget, ChatMessage, FeedbackDatasetRead, FeedbackResult, FeedbackSaved,
    GenerationParams, GenerationRead, GenerationStats, PlaygroundWorkers, Target, TurnCreate, TurnRead,
)
from tuneforge.registry import repository as registry_repository
from tuneforge.registry.models import ModelVersion
from tuneforge.registry.service import files_missing
from tuneforge.storage import Storage
from tuneforge.worker_registry import service as workers_service

QUEUE = "playground"
GENERATE_TASK = "tuneforge.playground_generate"
BATCH_TASK = "tuneforge.batch_compare"

# What each kind of feedback becomes: the dataset's name, its data kind and the method it suits.
FEEDBACK = {
    FeedbackKind.preference: ("Playground preferences", "preference", "dpo"),
    FeedbackKind.rating: ("Playground ratings", "unpaired_preference", "kto"),
    FeedbackKind.edit: ("Playground edits", "chat", "sft"),
}
SIDES = ("A", "B")

NO_WORKER = ("No worker is online to run the model: start one with `tuneforge worker` (`make run` starts one), "
             "then send the message again.")
NO_PLAYGROUND_WORKER = ("The online workers do not serve the playground (they run an older TuneForge, or were started "
                        "with --no-playground). Restart one with `tuneforge worker`.")


# -- which model a side is -----------------------------------------------------------------------


def gib(n: int) -> str:
    return f"{n / 2**30:.1f} GB"


def model_bytes(folder: Path) -> int:
    """About how much memory the model of a version's folder takes: its weights, plus its base's
    weights when it is an adapter whose base folder is on this host."""

    def weights(path: Path) -> int:
        return sum(f.stat().st_size for f in path.glob("*.safetensors")) + sum(f.stat().st_size for f in path.glob("*.bin"))

    total = weights(folder)
    config = folder / "adapter_config.json"
    if config.is_file():
        try:
            base = Path(json.loads(config.read_text()).get("base_model_name_or_path") or "")
        except (OSError, ValueError):
            base = Path()
        if base.is_absolute() and base.is_dir():
            total += weights(base)
    return total


async def worker_capacity(*, session: AsyncSession, settings: Settings) -> PlaygroundWorkers:
    live = await workers_service.list_live(session=session, heartbeat_seconds=settings.worker_heartbeat_seconds)
    serving = [(w.capabilities or {}).get("playground") for w in live]
    serving = [s for s in serving if isinstance(s, dict)]
    if not live:
        return PlaygroundWorkers(online=0, max_model_bytes=None, note=NO_WORKER)
    if not serving:
        return PlaygroundWorkers(online=0, max_model_bytes=None, note=NO_PLAYGROUND_WORKER)
    return PlaygroundWorkers(online=len(serving), max_model_bytes=max(int(s.get("max_bytes") or 0) for s in serving), note=None)


async def _require_capacity(*, session: AsyncSession, settings: Settings, storage: Storage, versions: list[ModelVersion]) -> None:
    """Refuses (503) a request no online worker can load, saying which capacity is missing."""
    capacity = await worker_capacity(session=session, settings=settings)
    if capacity.note:
        raise ServiceUnavailable(capacity.note)
    for version in versions:
        needed = await asyncio.to_thread(model_bytes, storage.path(version.output_key))
        if capacity.max_model_bytes and needed > capacity.max_model_bytes:
            raise ServiceUnavailable(
                f"This model needs about {gib(needed)} of memory; the largest playground cache of an online worker holds "
                f"{gib(capacity.max_model_bytes)}. Start a worker on a machine with more memory, or raise "
                "TUNEFORGE_PLAYGROUND_CACHE_BYTES on one."
            )


async def _labels(session: AsyncSession, versions: list[ModelVersion]) -> dict[uuid.UUID, str]:
    names = await registry_repository.model_names(session=session, model_ids=[v.model_id for v in versions])
    return {v.id: f"{names.get(v.model_id, 'model')} v{v.number}" for v in versions}


def target_label(label: str, version: ModelVersion, base: bool) -> str:
    if not base:
        return label
    reference = (version.lineage.get("base_model") or {}).get("reference") or "its base model"
    if reference.startswith(VERSION_PREFIX):
        reference = "an earlier version"
    return f"base of {label} ({reference})"


async def _versions(*, session: AsyncSession, storage: Storage, team_id: uuid.UUID, targets: list[Target]) -> list[ModelVersion]:
    versions = []
    for target in targets:
        version = await registry_repository.version_in_team(session=session, team_id=team_id, version_id=target.version_id)
        if version is None:
            raise NotFound(registry_repository.NO_SUCH_VERSION)
        method = ((version.lineage.get("spec") or {}).get("method"))
        if method == "reward" and not target.base:
            raise BadRequest("This version is a reward model: it scores answers rather than writing them, so it cannot "
                             "chat. Pick a version trained with another method, or its base model.")
        if await asyncio.to_thread(files_missing, storage, version):
            raise Conflict(
                f"The files of this model version are missing (its job's output folder was deleted or is incomplete), "
                "so it cannot answer. Delete the version from its page, or pick another."
            )
        versions.append(version)
    return versions


# -- turns -------------------------------------------------------------------------------------


def _stats(generation: Generation) -> GenerationStats:
    return GenerationStats.model_validate(generation.stats or {})


def generation_read(generation: Generation, *, hidden: bool) -> GenerationRead:
    target = generation.target or {}
    return GenerationRead(
        id=generation.id, turn_id=generation.turn_id, slot=generation.slot, side=SIDES[generation.slot],
        label=None if hidden else target.get("label"),
        version_id=None if hidden else uuid.UUID(target["version_id"]),
        base=None if hidden else bool(target.get("base")),
        status=generation.status.value, text=generation.text, seq=generation.seq, finish_reason=generation.finish_reason,
        error=generation.error, stats=_stats(generation), rendered_prompt=None if hidden else generation.rendered_prompt,
        worker_name=generation.worker_name, rating=generation.rating, edited_text=generation.edited_text,
        created_at=generation.created_at, updated_at=generation.updated_at,
    )


def hidden(turn: PlaygroundTurn) -> bool:
    return turn.blind and turn.pick is None


async def read_generation(*, session: AsyncSession, generation: Generation) -> GenerationRead:
    turn = await session.get(PlaygroundTurn, generation.turn_id)
    return generation_read(generation, hidden=hidden(turn))


async def current_generation(*, session: AsyncSession, generation_id: uuid.UUID) -> tuple[GenerationRead, bool] | None:
    """The answer as it is now and whether it has ended; None once it is gone (its turn deleted)."""
    row = await session.get(Generation, generation_id, populate_existing=True)
    if row is None:
        return None
    return await read_generation(session=session, generation=row), row.status.terminal


def turn_read(turn: PlaygroundTurn, answers: list[Generation]) -> TurnRead:
    return TurnRead(
        id=turn.id, messages=[ChatMessage.model_validate(m) for m in turn.messages],
        params=GenerationParams.model_validate(turn.params), blind=turn.blind, revealed=not hidden(turn), pick=turn.pick,
        answers=[generation_read(g, hidden=hidden(turn)) for g in answers], created_at=turn.created_at,
    )


async def read_turn(*, session: AsyncSession, turn: PlaygroundTurn) -> TurnRead:
    answers = await repository.answers_of(session=session, turn_ids=[turn.id])
    return turn_read(turn, answers[turn.id])


async def recent_turns(*, session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID, limit: int) -> list[TurnRead]:
    turns = await repository.recent_turns(session=session, team_id=team_id, user_id=user_id, limit=limit)
    answers = await repository.answers_of(session=session, turn_ids=[t.id for t in turns])
    return [turn_read(t, answers[t.id]) for t in turns]


async def create_turn(
    *, session: AsyncSession, settings: Settings, storage: Storage, team_id: uuid.UUID, user: User, body: TurnCreate
) -> TurnRead:
    versions = await _versions(session=session, storage=storage, team_id=team_id, targets=body.targets)
    await _require_capacity(session=session, settings=settings, storage=storage, versions=versions)
    labels = await _labels(session, versions)
    sides = list(zip(body.targets, versions, strict=True))
    if body.blind:
        secrets.SystemRandom().shuffle(sides)  # which model is A is chance, not the order the user chose them in
    turn = PlaygroundTurn(
        id=uuid.uuid4(), team_id=team_id, user_id=user.id, messages=[m.model_dump() for m in body.messages],
        params=body.params.model_dump(), blind=body.blind,
    )
    session.add(turn)
    await session.flush()
    answers = []
    for slot, (target, version) in enumerate(sides):
        generation = Generation(
            id=uuid.uuid4(), team_id=team_id, turn_id=turn.id, slot=slot, status=GenerationStatus.queued, text="", seq=0,
            stats={}, cancel_requested=False,
            target={"version_id": str(version.id), "base": target.base,
                    "label": target_label(labels[version.id], version, target.base)},
        )
        session.add(generation)
        answers.append(generation)
    await session.flush()
    for generation in answers:
        await queue.defer_task(session=session, task=GENERATE_TASK, queue=QUEUE,
                               args={"generation_id": str(generation.id)}, lock=f"generation-{generation.id}")
    return turn_read(turn, answers)


async def cancel_generation(*, session: AsyncSession, generation: Generation) -> None:
    """A queued answer ends at once; a running one stops at its next token (the worker sees the flag)."""
    locked = await session.get(Generation, generation.id, with_for_update=True, populate_existing=True)
    if locked is None or locked.status.terminal:
        return
    locked.cancel_requested = True
    await session.flush()
    if locked.status == GenerationStatus.queued:
        await stream.append(session=session, generation_id=locked.id, status=GenerationStatus.cancelled.value,
                            finish_reason="cancelled")
    await session.refresh(locked)


# -- feedback --------------------------------------------------------------------------------------


def _conversation(turn: PlaygroundTurn) -> list[dict[str, str]]:
    """The whole conversation as the model saw it: the system prompt first when one was given."""
    messages = [{"role": m["role"], "content": m["content"]} for m in turn.messages]
    system = (turn.params or {}).get("system")
    if system and not any(m["role"] == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": system})
    return messages


def _answer(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


class _Stale(Exception):
    """Another save of the same kind landed meanwhile: build the version again."""


async def _save_rows(
    *, session: AsyncSession, storage: Storage, team_id: uuid.UUID, user: User, kind: FeedbackKind, new_rows: list[dict],
    record: Any,
) -> FeedbackSaved:
    """Makes a new version of the team's `kind` feedback dataset holding every earlier row plus `new_rows`,
    then calls `record(session, version)` (which stores the feedback rows and marks their source) in the
    same transaction. Two saves at once: the later one sees the count changed and builds again."""
    name, data_kind, method = FEEDBACK[kind]
    for _attempt in range(4):
        mapping = await repository.feedback_dataset(session=session, team_id=team_id, kind=kind)
        rows = await repository.feedback_rows(session=session, team_id=team_id, kind=kind)
        seen = len(rows)
        dataset = await session.get(Dataset, mapping.dataset_id) if mapping else None
        new = dataset is None
        if new:
            taken = set(await session.scalars(select(Dataset.name).where(Dataset.team_id == team_id, Dataset.name.like(f"{name}%"))))
            unique = next(n for n in [name, *(f"{name} ({i})" for i in range(2, 100))] if n not in taken)
            dataset = Dataset(id=uuid.uuid4(), team_id=team_id, name=unique, created_by=user.id,
                              description=f"Feedback from the playground, one row per {kind.value}: trains {method.upper()}.")
        latest = None if new else await session.scalar(
            select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id).order_by(DatasetVersion.number.desc()).limit(1))
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*rows, *new_rows]).encode()
        key = f"datasets/{dataset.id}/uploads/feedback-{uuid.uuid4().hex}.jsonl"
        with storage.open_write(key) as handle:
            handle.write(body)
        source = {"name": "playground-feedback.jsonl", "key": key, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        options = {**IngestOptionsIn().model_dump(), "source": {"playground": kind.value}}
        try:
            version, created = await datasets._version_from_upload(
                session=session, storage=storage, dataset=dataset, user=user, sources=[source], mapping=None,
                options=options, notes="", operation=Operation.feedback, parent=latest,
                change=f"Playground feedback: {len(new_rows)} new {kind.value} row{'s' if len(new_rows) != 1 else ''}", new=new,
            )
            if not created:
                storage.delete(key)
            if version.kind != data_kind:
                raise RuntimeError(f"feedback rows were read as {version.kind!r}, not {data_kind!r}")
            if new:
                session.add(FeedbackDataset(team_id=team_id, kind=kind, dataset_id=dataset.id))
                await session.flush()
            else:
                await repository.feedback_dataset(session=session, team_id=team_id, kind=kind, lock=True)
                if await repository.count_feedback(session=session, team_id=team_id, kind=kind) != seen:
                    raise _Stale
            await record(session, version)
            await session.flush()
        except (_Stale, IntegrityError):
            await session.rollback()
            storage.delete(key)
            continue
        except BaseException:
            storage.delete(key)
            raise
        return FeedbackSaved(kind=kind.value, dataset_id=dataset.id, dataset_name=dataset.name, dataset_version_id=version.id,
                             version_number=version.number, rows=version.rows, method=method)
    raise Conflict("Feedback is being saved by others at the same moment; try again.")


def _feedback(kind: FeedbackKind, team_id: uuid.UUID, user: User, row: dict, version: DatasetVersion, **source: Any) -> Feedback:
    return Feedback(id=uuid.uuid4(), team_id=team_id, kind=kind, user_id=user.id, row=row, dataset_version_id=version.id, **source)


def _finished_text(generation: Generation) -> str:
    if generation.status != GenerationStatus.done or not generation.text.strip():
        raise Conflict("This answer is not finished yet (or ended without text); wait for it, or ask again.")
    return generation.text


async def pick(*, session: AsyncSession, storage: Storage, turn: PlaygroundTurn, user: User, choice: str) -> FeedbackResult:
    """The better of two answers: a preference row (the whole conversation as the prompt), and a blind
    turn's sides revealed. A tie reveals and records the pick but saves no row."""
    turn_id, team_id = turn.id, turn.team_id
    if turn.pick is not None:
        raise Conflict("You already picked on this turn.")
    answers = (await repository.answers_of(session=session, turn_ids=[turn_id]))[turn_id]
    if len(answers) != 2:
        raise BadRequest("Picking needs two answers side by side; rate a single answer with thumbs up or down.")
    if choice == "tie":
        if not all(g.status.terminal for g in answers):
            raise Conflict("Both answers are still being written; wait for them (or stop them) first.")
        texts: list[str] = []
    else:
        texts = [_finished_text(g) for g in answers]
    conversation = _conversation(turn)

    async def record(session: AsyncSession, version: DatasetVersion | None) -> None:
        locked = await session.get(PlaygroundTurn, turn_id, with_for_update=True, populate_existing=True)
        if locked.pick is not None:
            raise Conflict("You already picked on this turn.")
        locked.pick, locked.picked_at = choice, datetime.now(UTC)
        if version is not None:
            winner = 0 if choice == "a" else 1
            session.add(_feedback(FeedbackKind.preference, team_id, user, _preference_row(conversation, texts, winner),
                                  version, turn_id=turn_id, generation_id=answers[winner].id))

    if choice == "tie":
        await record(session, None)
        await session.flush()
        return FeedbackResult(turn=await read_turn(session=session, turn=await session.get(PlaygroundTurn, turn_id)))
    winner = 0 if choice == "a" else 1
    saved = await _save_rows(session=session, storage=storage, team_id=team_id, user=user, kind=FeedbackKind.preference,
                             new_rows=[_preference_row(conversation, texts, winner)], record=record)
    return FeedbackResult(turn=await read_turn(session=session, turn=await session.get(PlaygroundTurn, turn_id)), saved=saved)


def _preference_row(conversation: list[dict], texts: list[str], winner: int) -> dict:
    return {"prompt": conversation, "chosen": _answer(texts[winner]), "rejected": _answer(texts[1 - winner])}


async def rate(*, session: AsyncSession, storage: Storage, generation: Generation, user: User, rating: str) -> FeedbackResult:
    """Thumbs up or down: a KTO row (the conversation, the answer, and whether it is desirable)."""
    turn = await session.get(PlaygroundTurn, generation.turn_id)
    if hidden(turn):
        raise Conflict("Pick the better answer first: rating one side of a blind turn would tell which is which.")
    if generation.rating is not None:
        raise Conflict(f"You already rated this answer ({generation.rating}).")
    text = _finished_text(generation)
    row = {"prompt": _conversation(turn), "completion": _answer(text), "label": rating == "up"}
    generation_id, team_id, turn_id = generation.id, generation.team_id, turn.id

    async def record(session: AsyncSession, version: DatasetVersion) -> None:
        locked = await session.get(Generation, generation_id, with_for_update=True, populate_existing=True)
        if locked.rating is not None:
            raise Conflict(f"You already rated this answer ({locked.rating}).")
        locked.rating = rating
        session.add(_feedback(FeedbackKind.rating, team_id, user, row, version, turn_id=turn_id, generation_id=generation_id))

    saved = await _save_rows(session=session, storage=storage, team_id=team_id, user=user, kind=FeedbackKind.rating,
                             new_rows=[row], record=record)
    return FeedbackResult(turn=await read_turn(session=session, turn=await session.get(PlaygroundTurn, turn_id)), saved=saved)


async def edit(*, session: AsyncSession, storage: Storage, generation: Generation, user: User, text: str) -> FeedbackResult:
    """An answer the user corrected: an SFT row (the conversation with the corrected answer)."""
    turn = await session.get(PlaygroundTurn, generation.turn_id)
    if hidden(turn):
        raise Conflict("Pick the better answer first: editing one side of a blind turn would tell which is which.")
    if generation.status in (GenerationStatus.queued, GenerationStatus.loading, GenerationStatus.running):
        raise Conflict("This answer is still being written; wait for it (or stop it) before editing.")
    row = {"messages": [*_conversation(turn), *_answer(text)]}
    generation_id, team_id, turn_id = generation.id, generation.team_id, turn.id

    async def record(session: AsyncSession, version: DatasetVersion) -> None:
        locked = await session.get(Generation, generation_id, with_for_update=True, populate_existing=True)
        locked.edited_text = text
        session.add(_feedback(FeedbackKind.edit, team_id, user, row, version, turn_id=turn_id, generation_id=generation_id))

    saved = await _save_rows(session=session, storage=storage, team_id=team_id, user=user, kind=FeedbackKind.edit,
                             new_rows=[row], record=record)
    return FeedbackResult(turn=await read_turn(session=session, turn=await session.get(PlaygroundTurn, turn_id)), saved=saved)


async def feedback_datasets(*, session: AsyncSession, team_id: uuid.UUID) -> list[FeedbackDatasetRead]:
    found = []
    for mapping in await repository.feedback_datasets(session=session, team_id=team_id):
        dataset = await session.get(Dataset, mapping.dataset_id)
        latest = await session.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
                                      .order_by(DatasetVersion.number.desc()).limit(1))
        _, data_kind, method = FEEDBACK[mapping.kind]
        found.append(FeedbackDatasetRead(
            kind=mapping.kind.value, data_kind=data_kind, method=method, dataset_id=dataset.id, dataset_name=dataset.name,
            latest_version_id=latest.id if latest else None, latest_version_number=latest.number if latest else None,
            rows=latest.rows if latest else 0,
        ))
    return sorted(found, key=lambda f: list(FEEDBACK).index(FeedbackKind(f.kind)))


# -- batch comparisons -------------------------------------------------------------------------------


async def create_batch(
    *, session: AsyncSession, settings: Settings, storage: Storage, team_id: uuid.UUID, user: User, body: BatchCreate
) -> BatchRead:
    from tuneforge.datasets import repository as datasets_repository

    dataset_version = await datasets_repository.find_version_in_team(session=session, team_id=team_id,
                                                                      version_id=body.dataset_version_id)
    if dataset_version is None:
        raise NotFound("No such dataset version, or it belongs to a team you are not in.")
    if dataset_version.kind not in ("chat", "tool_chat", "prompt_completion", "preference", "unpaired_preference", "prompt"):
        raise BadRequest(f"This dataset version holds {dataset_version.kind or 'unrecognised'} rows, which have no prompts to "
                         "answer. Pick a chat, prompt/completion, preference or prompt dataset.")
    versions = await _versions(session=session, storage=storage, team_id=team_id, targets=body.targets)
    await _require_capacity(session=session, settings=settings, storage=storage, versions=versions)
    labels = await _labels(session, versions)
    batch = BatchCompare(
        id=uuid.uuid4(), team_id=team_id, user_id=user.id, dataset_version_id=dataset_version.id,
        targets=[{"version_id": str(v.id), "base": t.base, "label": target_label(labels[v.id], v, t.base)}
                 for t, v in zip(body.targets, versions, strict=True)],
        params=body.params.model_dump(), max_rows=body.max_rows, status=BatchStatus.queued, done_rows=0, total_rows=0,
        rows=[], metrics=[], cancel_requested=False,
    )
    session.add(batch)
    await session.flush()
    await queue.defer_task(session=session, task=BATCH_TASK, queue=QUEUE, args={"batch_id": str(batch.id)},
                           lock=f"batch-{batch.id}")
    return await read_batch(session=session, batch=batch)


async def _dataset_label(session: AsyncSession, version_id: uuid.UUID | None) -> tuple[str | None, int | None]:
    if version_id is None:
        return None, None
    version = await session.get(DatasetVersion, version_id)
    dataset = await session.get(Dataset, version.dataset_id) if version else None
    return (dataset.name if dataset else None), (version.number if version else None)


async def read_batch(*, session: AsyncSession, batch: BatchCompare) -> BatchRead:
    name, number = await _dataset_label(session, batch.dataset_version_id)
    return BatchRead(
        id=batch.id, dataset_version_id=batch.dataset_version_id, dataset_name=name, dataset_version_number=number,
        targets=[BatchTarget.model_validate(t) for t in batch.targets], params=GenerationParams.model_validate(batch.params),
        max_rows=batch.max_rows, status=batch.status.value, done_rows=batch.done_rows, total_rows=batch.total_rows,
        rows=[BatchRow.model_validate(r) for r in batch.rows], metrics=batch.metrics, error=batch.error,
        worker_name=batch.worker_name, created_at=batch.created_at, updated_at=batch.updated_at,
    )


async def list_batches(*, session: AsyncSession, team_id: uuid.UUID) -> list[BatchSummary]:
    found = []
    for batch in await repository.batches_in_team(session=session, team_id=team_id, limit=50):
        name, _ = await _dataset_label(session, batch.dataset_version_id)
        found.append(BatchSummary(id=batch.id, dataset_name=name, targets=[BatchTarget.model_validate(t) for t in batch.targets],
                                  status=batch.status.value, done_rows=batch.done_rows, total_rows=batch.total_rows,
                                  created_at=batch.created_at))
    return found


async def cancel_batch(*, session: AsyncSession, batch: BatchCompare) -> None:
    locked = await session.get(BatchCompare, batch.id, with_for_update=True, populate_existing=True)
    if locked.status in (BatchStatus.done, BatchStatus.failed, BatchStatus.cancelled):
        return
    locked.cancel_requested = True
    if locked.status == BatchStatus.queued:
        locked.status = BatchStatus.cancelled
    await session.flush()


async def pick_batch_row(*, session: AsyncSession, storage: Storage, batch: BatchCompare, user: User, row: int, choice: int) -> FeedbackResult:
    """The better answer of one row: a preference row against each other answer."""
    if batch.status != BatchStatus.done:
        raise Conflict("The comparison is not finished yet; pick once every answer is in.")
    if row >= len(batch.rows):
        raise BadRequest(f"This comparison has {len(batch.rows)} rows; row {row} does not exist.")
    if choice >= len(batch.targets):
        raise BadRequest(f"This comparison has {len(batch.targets)} models; choice {choice} does not exist.")
    entry = batch.rows[row]
    if entry.get("pick") is not None:
        raise Conflict("You already picked on this row.")
    answers = entry.get("answers") or []
    if not answers[choice]:
        raise Conflict("That model gave no answer on this row; pick another.")
    new_rows = [{"prompt": entry["prompt"], "chosen": _answer(answers[choice]), "rejected": _answer(other)}
                for i, other in enumerate(answers) if i != choice and other]
    if not new_rows:
        raise Conflict("No other model answered this row, so there is nothing to prefer it over.")
    batch_id, team_id = batch.id, batch.team_id

    async def record(session: AsyncSession, version: DatasetVersion) -> None:
        locked = await session.get(BatchCompare, batch_id, with_for_update=True, populate_existing=True)
        rows = [dict(r) for r in locked.rows]
        if rows[row].get("pick") is not None:
            raise Conflict("You already picked on this row.")
        rows[row]["pick"] = choice
        locked.rows = rows
        for new_row in new_rows:
            session.add(_feedback(FeedbackKind.preference, team_id, user, new_row, version, batch_id=batch_id, batch_row=row))

    return FeedbackResult(saved=await _save_rows(session=session, storage=storage, team_id=team_id, user=user,
                                                 kind=FeedbackKind.preference, new_rows=new_rows, record=record))
