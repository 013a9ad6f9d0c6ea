"""Datasets and their immutable versions: upload, derive (drop invalid rows, remap, split), read.

Heavy work (reading files, tokenising) runs in a worker thread; the database work stays on the
request's session (services flush, the session dependency commits).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from itertools import islice
from typing import Any

import anyio
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import User
from tuneforge.datasets import ingest as ingest_lib
from tuneforge.datasets.ingest.issues import IssueLog
from tuneforge.datasets.ingest.splits import SPLITS, check_ratios, split_canonical
from tuneforge.datasets.models import Dataset, DatasetIssue, DatasetVersion, Operation, VersionStatus
from tuneforge.datasets.render import RenderError, render_row
from tuneforge.datasets.schemas import (
    DatasetRead,
    DatasetUpdate,
    DropInvalidIn,
    IngestOptionsIn,
    IssuePage,
    IssueRead,
    MappingChangeIn,
    MappingIn,
    PreviewPage,
    PreviewRow,
    RenderedRow,
    SplitIn,
    UploadResult,
    VersionRead,
)
from tuneforge.datasets.upload import Received, human_size
from tuneforge.errors import BadRequest, Conflict, Forbidden, NotFound
from tuneforge.storage import Storage
from tuneforge.teams.models import Membership, Role

DEFAULT_MAX_UPLOAD_BYTES = 2 << 30

# Hook for the jobs domain: async callables (session, version ids) -> descriptions of what uses them,
# e.g. ["job 'llama-sft-3' (running)"]. Deleting a dataset is refused while any returns something.
# Jobs do not exist yet; tuneforge.jobs should append its check here when it is written.
VERSION_USAGE_CHECKS: list[Callable[[AsyncSession, list[uuid.UUID]], Awaitable[list[str]]]] = []


def max_upload_bytes(settings: Any) -> int:
    return settings.dataset_max_upload_bytes or DEFAULT_MAX_UPLOAD_BYTES


@functools.lru_cache(maxsize=4)
def load_tokenizer(base_model: str):
    from transformers import AutoTokenizer

    from tuneforge.training.loading import resolve_base_model

    return AutoTokenizer.from_pretrained(resolve_base_model(base_model))


def _tokenizer(base_model: str):
    try:
        return load_tokenizer(base_model)
    except ImportError:  # an API image without the training stack: lengths fall back to characters
        return None


def _read_options(options: dict) -> ingest_lib.IngestOptions:
    parsed = IngestOptionsIn.model_validate({k: v for k, v in options.items() if k in IngestOptionsIn.model_fields})
    return ingest_lib.IngestOptions(
        allow_transcode=parsed.allow_transcode,
        chunk_chars=parsed.chunk_chars,
        participants=parsed.participants,
        conversation_separator=parsed.conversation_separator,
        max_length=parsed.max_length,
        exact_token_rows=parsed.exact_token_rows,
        tokenizer_name=parsed.base_model,
    )


# -- reading -------------------------------------------------------------------------------------


async def get_dataset(*, session: AsyncSession, team_id: uuid.UUID, dataset_id: uuid.UUID) -> Dataset:
    dataset = await session.scalar(select(Dataset).where(Dataset.id == dataset_id, Dataset.team_id == team_id))
    if dataset is None:
        raise NotFound("No dataset with this id in this team. It may have been deleted.")
    return dataset


async def get_version(*, session: AsyncSession, dataset: Dataset, version_id: uuid.UUID) -> DatasetVersion:
    version = await session.scalar(
        select(DatasetVersion).where(DatasetVersion.id == version_id, DatasetVersion.dataset_id == dataset.id)
    )
    if version is None:
        raise NotFound("No version with this id in this dataset.")
    return version


def _ordered(names) -> list[str]:
    """Splits in reading order (train, validation, test): JSONB does not keep key order."""
    order = {name: i for i, name in enumerate(("rows", *SPLITS))}
    return sorted(names, key=lambda name: order.get(name, len(order)))


def version_read(version: DatasetVersion) -> VersionRead:
    split = version.split
    if split and isinstance(split.get("counts"), dict):
        split = {**split, "counts": {name: split["counts"][name] for name in _ordered(split["counts"])}}
    return VersionRead(
        id=version.id, dataset_id=version.dataset_id, number=version.number, sha256=version.sha256,
        parent_id=version.parent_id, operation=version.operation, notes=version.notes, author_id=version.author_id,
        created_at=version.created_at, kind=version.kind, mapping=version.mapping, detection=version.detection,
        stats=version.stats, issues_summary=version.issues_summary, split=split,
        splits=_ordered(version.files), sources=[{k: s[k] for k in ("name", "size", "sha256")} for s in version.sources],
        options=version.options, rows=version.rows, size_bytes=version.size_bytes, status=version.status,
        usable=version.status == VersionStatus.usable,
    )


async def dataset_read(*, session: AsyncSession, dataset: Dataset) -> DatasetRead:
    count = await session.scalar(select(func.count()).where(DatasetVersion.dataset_id == dataset.id))
    latest = await session.scalar(
        select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id).order_by(DatasetVersion.number.desc()).limit(1)
    )
    return DatasetRead(
        id=dataset.id, team_id=dataset.team_id, name=dataset.name, description=dataset.description,
        created_by=dataset.created_by, created_at=dataset.created_at, updated_at=dataset.updated_at,
        archived=dataset.archived, versions=count or 0, latest_version=version_read(latest) if latest else None,
    )


async def list_datasets(*, session: AsyncSession, team_id: uuid.UUID, include_archived: bool) -> list[DatasetRead]:
    query = select(Dataset).where(Dataset.team_id == team_id).order_by(Dataset.created_at.desc())
    if not include_archived:
        query = query.where(Dataset.archived.is_(False))
    return [await dataset_read(session=session, dataset=d) for d in await session.scalars(query)]


async def list_versions(*, session: AsyncSession, dataset: Dataset) -> list[VersionRead]:
    versions = await session.scalars(
        select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id).order_by(DatasetVersion.number.desc())
    )
    return [version_read(v) for v in versions]


async def list_issues(
    *, session: AsyncSession, version: DatasetVersion, severity: str | None, code: str | None, offset: int, limit: int
) -> IssuePage:
    where = [DatasetIssue.version_id == version.id]
    if severity:
        where.append(DatasetIssue.severity == severity)
    if code:
        where.append(DatasetIssue.code == code)
    total = await session.scalar(select(func.count()).select_from(DatasetIssue).where(*where))
    items = await session.scalars(select(DatasetIssue).where(*where).order_by(DatasetIssue.seq).offset(offset).limit(limit))
    return IssuePage(items=[_issue_read(i) for i in items], total=total or 0, offset=offset, limit=limit,
                     summary=version.issues_summary)


def _issue_read(issue: DatasetIssue) -> IssueRead:
    return IssueRead(severity=issue.severity, code=issue.code, message=issue.message, hint=issue.hint, row=issue.row,
                     file=issue.file, line=issue.line, column=issue.column, field=issue.field)


def _split_key(version: DatasetVersion, split: str | None) -> tuple[str, str]:
    name = split or next(iter(version.files))
    if name not in version.files:
        raise NotFound(f"This version has no {name!r} split; it has {', '.join(version.files)}.")
    return name, version.files[name]


def _read_rows(path, offset: int, limit: int) -> list[Any]:
    with open(path, "rb") as handle:
        return [json.loads(line) for line in islice(handle, offset, offset + limit)]


def _read_raw(storage: Storage, version: DatasetVersion, offset: int, limit: int) -> list[Any]:
    options = _read_options(version.options)
    log = IssueLog(keep_per_code=0)
    records = (
        record
        for source in version.sources
        for record in ingest_lib.read_source(ingest_lib.Source(source["name"], storage.path(source["key"])), options, log)
    )
    return [r.data if r.data is not None else r.raw_text for r in islice(records, offset, offset + limit)]


async def preview_rows(
    *, session: AsyncSession, storage: Storage, version: DatasetVersion, split: str | None, offset: int, limit: int
) -> PreviewPage:
    name, key = _split_key(version, split)
    rows = await anyio.to_thread.run_sync(_read_rows, storage.path(key), offset, limit)
    raw: list[Any] = [None] * len(rows)
    issues: dict[int, list[IssueRead]] = {}
    if name == "rows":
        if version.operation in (Operation.upload, Operation.mapping) and version.sources:
            raw = await anyio.to_thread.run_sync(_read_raw, storage, version, offset, limit)
        found = await session.scalars(
            select(DatasetIssue).where(DatasetIssue.version_id == version.id, DatasetIssue.row > offset,
                                       DatasetIssue.row <= offset + limit).order_by(DatasetIssue.seq)
        )
        for issue in found:
            issues.setdefault(issue.row, []).append(_issue_read(issue))
    total = version.split["counts"][name] if version.split else version.rows
    items = []
    for index, row in enumerate(rows):
        number = offset + index + 1
        invalid = isinstance(row, dict) and row.get("_invalid") is True
        items.append(PreviewRow(
            row=number, normalized=None if invalid else row,
            raw=(row.get("raw") if invalid else (raw[index] if index < len(raw) else None)),
            invalid=invalid, issues=issues.get(number, []),
        ))
    return PreviewPage(items=items, total=total, offset=offset, limit=limit, split=name)


async def render_preview(
    *, storage: Storage, version: DatasetVersion, row: int, split: str | None, base_model: str, max_length: int
) -> RenderedRow:
    name, key = _split_key(version, split)
    rows = await anyio.to_thread.run_sync(_read_rows, storage.path(key), row - 1, 1)
    if not rows:
        raise NotFound(f"Row {row:,} does not exist; this {'split' if version.split else 'version'} has fewer rows.")
    canonical = rows[0]
    if canonical.get("_invalid") is True or version.kind is None:
        raise BadRequest(f"Row {row:,} could not be read when it was uploaded, so there is nothing to render. "
                         "See its issue for the reason.")
    tokenizer = await anyio.to_thread.run_sync(_tokenizer, base_model)
    if tokenizer is None:
        raise BadRequest("Rendering needs the training stack (transformers), which this server does not have.")
    try:
        segments = await anyio.to_thread.run_sync(
            functools.partial(render_row, canonical, version.kind, tokenizer, max_length=max_length))
    except RenderError as exc:
        raise BadRequest(f"{base_model}: {exc}. Pick another base model, or fix the row.") from exc
    return RenderedRow(row=row, split=name, base_model=base_model, max_length=max_length, kind=version.kind,
                       segments=segments)


# -- writing -------------------------------------------------------------------------------------


def _parse_form(received: Received) -> tuple[dict | None, IngestOptionsIn]:
    try:
        mapping = MappingIn.model_validate_json(received.fields["mapping"]) if received.fields.get("mapping") else None
        options = IngestOptionsIn.model_validate_json(received.fields["options"]) if received.fields.get("options") else IngestOptionsIn()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "value"
        raise BadRequest(f"The mapping/options form field is not valid: {where}: {first['msg']}.") from exc
    return (mapping.model_dump(exclude_none=True) if mapping else None), options


def _discard(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        storage.delete(key)


def _ingest_files(storage: Storage, sources: list[dict], out_key: str, mapping, options: ingest_lib.IngestOptions):
    with storage.open_write(out_key) as out:
        return ingest_lib.ingest([ingest_lib.Source(s["name"], storage.path(s["key"])) for s in sources], out,
                                 mapping=mapping, options=options)


async def _run_ingest(storage: Storage, sources: list[dict], out_key: str, mapping, options_in: dict):
    options = _read_options(options_in)
    options.tokenizer = await anyio.to_thread.run_sync(_tokenizer, options.tokenizer_name)
    if options.tokenizer is None:
        options.tokenizer_name = None
    try:
        return await anyio.to_thread.run_sync(_ingest_files, storage, sources, out_key, mapping, options)
    except ingest_lib.PatternError as exc:
        storage.delete(out_key)
        raise BadRequest(f"The participant patterns are not valid: {exc}.") from exc
    except ValueError as exc:
        storage.delete(out_key)
        raise BadRequest(f"The mapping does not fit this data: {exc}.") from exc


async def release_connection(session: AsyncSession) -> None:
    """Reading files and tokenising can take minutes: give the database connection back meanwhile
    instead of holding it idle in a transaction. Nothing has been written yet, so closing loses
    nothing; loaded objects stay readable (detached) and the next query starts afresh."""
    await session.close()


async def _result(session: AsyncSession, dataset_id: uuid.UUID, version: DatasetVersion, created: bool) -> UploadResult:
    dataset = await session.get(Dataset, dataset_id)
    return UploadResult(dataset=await dataset_read(session=session, dataset=dataset), version=version_read(version),
                        created=created)


async def _save_version(*, storage: Storage, files: dict[str, str], **fields: Any) -> tuple[DatasetVersion, bool]:
    """Stores the version's row, or returns the version with identical content; the new files are
    removed whenever they end up unused (identical content, or a failure)."""
    try:
        return await _insert_version(storage=storage, files=files, **fields)
    except BaseException:
        _discard(storage, list(files.values()))
        raise


async def _insert_version(
    *, session: AsyncSession, storage: Storage, dataset: Dataset, version_id: uuid.UUID, sha256: str, files: dict[str, str],
    operation: Operation, author: User, parent: DatasetVersion | None, notes: str, kind: str | None, mapping: dict | None,
    detection: dict, stats: dict, issues: list[dict], summary: dict, split: dict | None, sources: list[dict],
    options: dict, rows: int, usable: bool,
) -> tuple[DatasetVersion, bool]:
    # Lock the dataset row so two concurrent uploads cannot take the same number.
    locked = await session.get(Dataset, dataset.id, with_for_update=True)
    current = await session.scalar(select(func.max(DatasetVersion.number)).where(DatasetVersion.dataset_id == dataset.id))
    number = (current or 0) + 1
    existing = await session.scalar(
        select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id, DatasetVersion.sha256 == sha256).limit(1)
    )
    if existing is not None:
        _discard(storage, list(files.values()))
        return existing, False
    version = DatasetVersion(
        id=version_id, dataset_id=dataset.id, number=number, sha256=sha256, parent_id=parent.id if parent else None,
        operation=operation, notes=notes, author_id=author.id, kind=kind, mapping=mapping, detection=detection,
        stats=stats, issues_summary=summary, split=split, files=files, sources=sources, options=options, rows=rows,
        size_bytes=sum(storage.size(k) for k in files.values()),
        status=VersionStatus.usable if usable else VersionStatus.has_errors,
    )
    session.add(version)
    await session.flush()
    if issues:
        await session.execute(
            DatasetIssue.__table__.insert(),
            [{"id": uuid.uuid4(), "version_id": version.id, "seq": seq, **{k: i.get(k) for k in (
                "severity", "code", "message", "hint", "row", "file", "line", "column", "field")}}
             for seq, i in enumerate(sorted(issues, key=_issue_order))],
        )
    locked.updated_at = version.created_at
    await session.flush()
    return version, True


def _issue_order(issue: dict) -> tuple:
    # File- and dataset-level issues first, then by row; errors before warnings on the same row.
    rank = {"error": 0, "warning": 1, "info": 2}[issue["severity"]]
    return (issue.get("row") is not None, issue.get("row") or 0, rank)


async def _version_from_upload(
    *, session: AsyncSession, storage: Storage, dataset: Dataset, user: User, sources: list[dict], mapping: dict | None,
    options: dict, notes: str, operation: Operation, parent: DatasetVersion | None, change: str, new: bool = False,
) -> tuple[DatasetVersion, bool]:
    version_id = uuid.uuid4()
    out_key = f"datasets/{dataset.id}/versions/{version_id}/rows.jsonl"
    await release_connection(session)
    report = await _run_ingest(storage, sources, out_key, mapping, options)
    if new:
        session.add(dataset)
    return await _save_version(
        session=session, storage=storage, dataset=dataset, version_id=version_id, sha256=report.sha256,
        files={"rows": out_key}, operation=operation, author=user, parent=parent, notes=notes, kind=report.kind,
        mapping=report.mapping, detection=report.detection, stats=report.stats, issues=report.issues,
        summary=report.summary, split=None, sources=sources, options={**options, "change": change},
        rows=report.rows, usable=report.usable,
    )


def _upload_change(received: Received) -> str:
    names = ", ".join(f.name for f in received.files[:5]) + (f" and {len(received.files) - 5} more" if len(received.files) > 5 else "")
    return f"Uploaded {names} ({human_size(sum(f.size for f in received.files))})"


async def create_dataset(
    *, session: AsyncSession, storage: Storage, team_id: uuid.UUID, user: User, dataset_id: uuid.UUID, received: Received
) -> UploadResult:
    keys = [f.key for f in received.files]
    try:
        name = (received.fields.get("name") or received.files[0].name.rsplit(".", 1)[0]).strip()[:200]
        if await session.scalar(select(Dataset.id).where(Dataset.team_id == team_id, Dataset.name == name)):
            raise Conflict(f"A dataset named {name!r} already exists in this team. Upload a new version to it, "
                           "or pick another name.")
        mapping, options = _parse_form(received)
        dataset = Dataset(id=dataset_id, team_id=team_id, name=name, description=received.fields.get("description", "")[:5000],
                          created_by=user.id)
        version, created = await _version_from_upload(
            session=session, storage=storage, dataset=dataset, user=user, sources=[f.to_dict() for f in received.files],
            mapping=mapping, options=options.model_dump(), notes=received.fields.get("notes", ""),
            operation=Operation.upload, parent=None, change=_upload_change(received), new=True,
        )
    except BaseException:
        _discard(storage, keys)
        raise
    return await _result(session, dataset_id, version, created)


async def upload_version(
    *, session: AsyncSession, storage: Storage, dataset: Dataset, user: User, received: Received
) -> UploadResult:
    keys = [f.key for f in received.files]
    try:
        mapping, options = _parse_form(received)
        latest = await session.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
                                      .order_by(DatasetVersion.number.desc()).limit(1))
        version, created = await _version_from_upload(
            session=session, storage=storage, dataset=dataset, user=user, sources=[f.to_dict() for f in received.files],
            mapping=mapping, options=options.model_dump(), notes=received.fields.get("notes", ""),
            operation=Operation.upload, parent=latest, change=_upload_change(received),
        )
        if not created:
            _discard(storage, keys)  # the existing version keeps its own copy of the files
    except BaseException:
        _discard(storage, keys)
        raise
    return await _result(session, dataset.id, version, created)


async def drop_invalid(
    *, session: AsyncSession, storage: Storage, dataset: Dataset, version: DatasetVersion, user: User, body: DropInvalidIn
) -> UploadResult:
    if version.split:
        raise Conflict("A split version is final. Drop rows on the version it was split from, then split again.")
    if version.kind is None:
        raise Conflict("This version's format was not recognised, so no row is valid. Change the column mapping first.")
    options = _read_options(version.options)
    options.drop_invalid, options.drop_duplicates, options.drop_over_length = True, body.drop_duplicates, body.drop_over_length
    await release_connection(session)
    options.tokenizer = await anyio.to_thread.run_sync(_tokenizer, options.tokenizer_name)
    version_id = uuid.uuid4()
    out_key = f"datasets/{dataset.id}/versions/{version_id}/rows.jsonl"

    def work():
        with storage.open_write(out_key) as out:
            return ingest_lib.ingest_canonical(storage.path(version.files["rows"]), out, kind=version.kind, options=options)

    report = await anyio.to_thread.run_sync(work)
    dropped = report.dropped
    parts = [f"{dropped.get('invalid', 0):,} invalid rows"]
    if body.drop_duplicates:
        parts.append(f"{dropped.get('duplicates', 0):,} duplicates")
    if body.drop_over_length:
        parts.append(f"{dropped.get('over_length', 0):,} rows over {options.max_length:,} tokens")
    change = f"Dropped {', '.join(parts)} from v{version.number}"
    new, created = await _save_version(
        session=session, storage=storage, dataset=dataset, version_id=version_id, sha256=report.sha256,
        files={"rows": out_key}, operation=Operation.drop_invalid, author=user, parent=version, notes=body.notes,
        kind=report.kind, mapping=version.mapping, detection=version.detection, stats=report.stats,
        issues=report.issues, summary=report.summary, split=None, sources=[],
        options={**{k: v for k, v in version.options.items() if k != "change"}, "change": change, "dropped": dropped},
        rows=report.rows, usable=report.usable,
    )
    return await _result(session, dataset.id, new, created)


async def change_mapping(
    *, session: AsyncSession, storage: Storage, dataset: Dataset, version: DatasetVersion, user: User, body: MappingChangeIn,
) -> UploadResult:
    if not version.sources:
        raise Conflict("This version was made from another version, not from uploaded files, so its columns are "
                       "already canonical. Change the mapping on the uploaded version it came from.")
    spec = body.mapping.model_dump(exclude_none=True) if body.mapping else None
    options = {k: v for k, v in version.options.items() if k not in ("change", "dropped")}
    if body.options is not None:
        options.update(body.options.model_dump(exclude_unset=True))
    parts = []
    if spec:
        columns = ", ".join(f"{column} → {slot}" for slot, column in spec.get("columns", {}).items())
        parts.append(f"mapping changed to {spec.get('format') or spec.get('kind')}" + (f" ({columns})" if columns else ""))
    if body.options is not None:
        parts.append("read again with " + ", ".join(sorted(body.options.model_dump(exclude_unset=True))) + " changed")
    new, created = await _version_from_upload(
        session=session, storage=storage, dataset=dataset, user=user, sources=version.sources, mapping=spec,
        options=options, notes=body.notes, operation=Operation.mapping, parent=version,
        change=f"v{version.number}: " + "; ".join(parts),
    )
    return await _result(session, dataset.id, new, created)


async def split_version(
    *, session: AsyncSession, storage: Storage, dataset: Dataset, version: DatasetVersion, user: User, body: SplitIn
) -> UploadResult:
    if version.split:
        raise Conflict(f"v{version.number} is already split. Split the version it came from with other ratios instead.")
    if version.status != VersionStatus.usable:
        errors = version.issues_summary.get("errors", 0)
        raise Conflict(f"v{version.number} has {errors:,} errors, so it cannot be used for training yet. "
                       "Use 'Drop invalid rows' first, then split the clean version.")
    try:
        ratios = check_ratios({"train": body.train, "validation": body.validation, "test": body.test})
    except ValueError as exc:
        raise BadRequest(f"The split ratios are not valid: {exc}.") from exc
    version_id = uuid.uuid4()
    names = [name for name in SPLITS if ratios[name] > 0]
    await release_connection(session)
    files = {name: f"datasets/{dataset.id}/versions/{version_id}/{name}.jsonl" for name in names}

    def work():
        with ExitStack() as stack:
            outs = {name: stack.enter_context(storage.open_write(key)) for name, key in files.items()}
            return split_canonical(storage.path(version.files["rows"]), outs, ratios=ratios, seed=body.seed)

    report = await anyio.to_thread.run_sync(work)
    summary = {"errors": 0, "warnings": len(report.issues), "infos": 0,
               "by_code": {"split_overlap": len(report.issues)} if report.issues else {}, "truncated": False}
    percent = "/".join(f"{round(ratios[n] * 100)}" for n in names)
    change = f"Split v{version.number} {percent} ({'/'.join(names)}) with seed {body.seed}"
    new, created = await _save_version(
        session=session, storage=storage, dataset=dataset, version_id=version_id, sha256=report.sha256, files=files,
        operation=Operation.split, author=user, parent=version, notes=body.notes, kind=version.kind,
        mapping=version.mapping, detection=version.detection, stats={**version.stats, "splits": report.counts},
        issues=report.issues, summary=summary, split=report.to_dict(), sources=[],
        options={**{k: v for k, v in version.options.items() if k != "change"}, "change": change}, rows=version.rows,
        usable=True,
    )
    return await _result(session, dataset.id, new, created)


async def update_dataset(*, session: AsyncSession, dataset: Dataset, body: DatasetUpdate) -> DatasetRead:
    if body.name is not None and body.name != dataset.name:
        taken = await session.scalar(select(Dataset.id).where(Dataset.team_id == dataset.team_id, Dataset.name == body.name))
        if taken:
            raise Conflict(f"A dataset named {body.name!r} already exists in this team. Pick another name.")
        dataset.name = body.name
    if body.description is not None:
        dataset.description = body.description
    if body.archived is not None:
        dataset.archived = body.archived
    await session.flush()
    return await dataset_read(session=session, dataset=dataset)


async def versions_in_use(session: AsyncSession, version_ids: list[uuid.UUID]) -> list[str]:
    uses: list[str] = []
    for check in VERSION_USAGE_CHECKS:
        uses += await check(session, version_ids)
    return uses


async def delete_dataset(
    *, session: AsyncSession, storage: Storage, dataset: Dataset, membership: Membership, user: User
) -> None:
    if Role(membership.role).rank < Role.admin.rank and dataset.created_by != user.id:
        raise Forbidden("Only the person who created this dataset, or a team admin, can delete it.")
    version_ids = list(await session.scalars(select(DatasetVersion.id).where(DatasetVersion.dataset_id == dataset.id)))
    uses = await versions_in_use(session, version_ids)
    if uses:
        raise Conflict(f"{dataset.name!r} is used by {', '.join(uses)}, so it cannot be deleted. "
                       "Delete those jobs first, or archive the dataset to hide it.")
    await session.execute(delete(Dataset).where(Dataset.id == dataset.id))
    await session.flush()
    storage.delete(f"datasets/{dataset.id}")


async def training_files(
    *, session: AsyncSession, storage: Storage, team_id: uuid.UUID, version_id: uuid.UUID
) -> tuple[DatasetVersion, dict[str, Any]]:
    """For the jobs domain: a usable version of this team and its canonical files by split
    ({"rows": path} unsplit, else {"train": path, "validation": path, ...}). Refuses versions with
    errors with the reason, so a job never starts on data that would fail twenty minutes in."""
    version = await session.scalar(
        select(DatasetVersion).join(Dataset, Dataset.id == DatasetVersion.dataset_id)
        .where(DatasetVersion.id == version_id, Dataset.team_id == team_id)
    )
    if version is None:
        raise NotFound("No dataset version with this id in this team.")
    if version.status != VersionStatus.usable:
        errors = version.issues_summary.get("errors", 0)
        raise Conflict(f"Dataset version v{version.number} has {errors:,} errors and cannot be trained on. "
                       "Open it, use 'Drop invalid rows', and pick the new version.")
    return version, {name: storage.path(key) for name, key in version.files.items()}
