"""Datasets and their immutable versions: upload, derive (drop invalid rows, remap, split), read.

Reading uploaded files (and tokenising) runs in a child process with a memory limit (ingest_child);
other file work in a worker thread; the database work stays on the request's session (services
flush, the session dependency commits). Previews read the version's canonical rows and the copy of
each row as uploaded that ingest keeps next to them, never the upload itself.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from itertools import islice
from typing import Any

import anyio
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.audit import service as audit
from tuneforge.auth.models import User
from tuneforge.quotas import service as quotas
from tuneforge.config import get_settings
from tuneforge.datasets import ingest as ingest_lib
from tuneforge.datasets import ingest_child, repository
from tuneforge.datasets.ingest import placeholders
from tuneforge.datasets.ingest.issues import short
from tuneforge.datasets.ingest.splits import SPLITS, check_ratios, split_canonical
from tuneforge.datasets.models import Dataset, DatasetIssue, DatasetVersion, Operation, VersionStatus
from tuneforge.datasets.render import RenderError, render_row
from tuneforge.datasets.schemas import (
    DatasetRead,
    DatasetUpdate,
    DropInvalidIn,
    FillPlaceholdersIn,
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
from tuneforge.errors import BadRequest, Conflict, Forbidden, InsufficientStorage, NotFound, PayloadTooLarge
from tuneforge.storage import Storage
from tuneforge.teams.models import Membership, Role

DEFAULT_MAX_UPLOAD_BYTES = 2 << 30
AS_UPLOADED_FILE = "as-uploaded.jsonl"  # next to a version's rows.jsonl: each row as uploaded, for previews

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
    settings = get_settings()
    return ingest_lib.IngestOptions(
        allow_transcode=parsed.allow_transcode,
        chunk_chars=parsed.chunk_chars,
        participants=parsed.participants,
        conversation_separator=parsed.conversation_separator,
        max_length=parsed.max_length,
        exact_token_rows=parsed.exact_token_rows,
        tokenizer_name=parsed.base_model,
        max_expanded_bytes=settings.dataset_max_expanded_bytes,
        max_zip_members=settings.dataset_max_zip_members,
        max_zip_ratio=settings.dataset_max_zip_ratio,
        max_row_group_bytes=settings.dataset_max_row_group_bytes,
        max_row_bytes=settings.dataset_max_row_bytes,
        max_rows=parsed.row_limit,
    )


# -- reading -------------------------------------------------------------------------------------


async def get_dataset(*, session: AsyncSession, team_id: uuid.UUID, dataset_id: uuid.UUID) -> Dataset:
    return await repository.get_in_team(session=session, team_id=team_id, dataset_id=dataset_id)


async def get_version(*, session: AsyncSession, dataset: Dataset, version_id: uuid.UUID) -> DatasetVersion:
    return await repository.get_version(session=session, dataset_id=dataset.id, version_id=version_id)


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
    count, latest = await repository.count_and_latest_version(session=session, dataset_id=dataset.id)
    return DatasetRead(
        id=dataset.id, team_id=dataset.team_id, name=dataset.name, description=dataset.description,
        created_by=dataset.created_by, created_at=dataset.created_at, updated_at=dataset.updated_at,
        archived=dataset.archived, versions=count, latest_version=version_read(latest) if latest else None,
    )


async def list_datasets(*, session: AsyncSession, team_id: uuid.UUID, include_archived: bool) -> list[DatasetRead]:
    datasets = await repository.list_in_team(session=session, team_id=team_id, include_archived=include_archived)
    return [await dataset_read(session=session, dataset=d) for d in datasets]


async def list_versions(*, session: AsyncSession, dataset: Dataset) -> list[VersionRead]:
    return [version_read(v) for v in await repository.list_versions(session=session, dataset_id=dataset.id)]


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
    """Lines offset+1 … offset+limit of a JSONL file of TuneForge's own (every line is at most
    TUNEFORGE_DATASET_MAX_ROW_BYTES); [] when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return [json.loads(line) for line in islice(handle, offset, offset + limit)]
    except FileNotFoundError:
        return []


def _as_uploaded_key(version: DatasetVersion) -> str:
    """Each row as uploaded, line for line with the `rows` file (versions read from uploaded files)."""
    return version.files["rows"].rsplit("/", 1)[0] + "/" + AS_UPLOADED_FILE


async def preview_rows(
    *, session: AsyncSession, storage: Storage, version: DatasetVersion, split: str | None, offset: int, limit: int
) -> PreviewPage:
    name, key = _split_key(version, split)
    rows = await anyio.to_thread.run_sync(_read_rows, storage.path(key), offset, limit)
    raw: list[Any] = [None] * len(rows)
    issues: dict[int, list[IssueRead]] = {}
    if name == "rows":
        if version.operation in (Operation.upload, Operation.mapping) and version.sources:
            raw = await anyio.to_thread.run_sync(_read_rows, storage.path(_as_uploaded_key(version)), offset, limit)
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


async def _run_in_child(storage: Storage, job: ingest_child.IngestJob) -> ingest_lib.IngestReport:
    """Runs `job` in an ingest child and returns its report; on any failure (or a cancelled request,
    which kills the child) its outputs are removed and the error says what to do."""
    outputs = [job.out_key, *([job.raw_key] if job.raw_key else [])]
    for key in outputs:  # checks the keys too
        storage.path(key)
    try:
        child = await anyio.to_thread.run_sync(ingest_child.start, job)
        try:
            fields, _ = await anyio.to_thread.run_sync(child.wait, abandon_on_cancel=True)
        except BaseException:
            child.kill()
            raise
    except BaseException as exc:
        for key in outputs:
            storage.delete(key)
            storage.delete(ingest_child.partial(key))
        if isinstance(exc, ingest_child.IngestFailed):
            raise _ingest_error(exc, job.memory_bytes) from None
        raise
    return ingest_lib.IngestReport(**fields)


def _ingest_error(exc: ingest_child.IngestFailed, memory_bytes: int) -> Exception:
    if exc.kind == "limit":
        return PayloadTooLarge(exc.message)
    if exc.kind == "memory":
        return PayloadTooLarge(
            f"This file needs more memory to read than TuneForge allows ({human_size(memory_bytes)}), so nothing "
            "was kept. Split it into smaller files or rows, or ask an admin to raise "
            "TUNEFORGE_DATASET_INGEST_MEMORY_BYTES."
        )
    if exc.kind == "disk_full":
        return InsufficientStorage()
    if exc.kind == "pattern":
        return BadRequest(f"The participant patterns are not valid: {exc.message}.")
    if exc.kind == "mapping":
        return BadRequest(f"The mapping does not fit this data: {exc.message}.")
    return RuntimeError(f"reading the upload failed: {exc.message}")


def _job(storage: Storage, sources: list[dict], out_key: str, options: ingest_lib.IngestOptions, **fields: Any):
    return ingest_child.IngestJob(
        storage_root=str(storage.root), sources=[{"name": s["name"], "key": s["key"]} for s in sources],
        out_key=out_key, options=ingest_child.options_for_child(options),
        memory_bytes=get_settings().dataset_ingest_memory_bytes, **fields,
    )


async def _run_ingest(storage: Storage, sources: list[dict], out_key: str, raw_key: str, mapping, options_in: dict):
    job = _job(storage, sources, out_key, _read_options(options_in), raw_key=raw_key, mapping=mapping)
    return await _run_in_child(storage, job)


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
    size_bytes = sum(storage.size(k) for k in files.values())
    # The team's storage limit, under its quota lock: refused, the caller removes what was written.
    await quotas.check_storage(session=session, team_id=dataset.team_id, actor=author, adding=size_bytes,
                               attempted=f"dataset.{operation.value}")
    version = DatasetVersion(
        id=version_id, dataset_id=dataset.id, number=number, sha256=sha256, parent_id=parent.id if parent else None,
        operation=operation, notes=notes, author_id=author.id, kind=kind, mapping=mapping, detection=detection,
        stats=stats, issues_summary=summary, split=split, files=files, sources=sources, options=options, rows=rows,
        size_bytes=size_bytes,
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
    raw_key = f"datasets/{dataset.id}/versions/{version_id}/{AS_UPLOADED_FILE}"
    await release_connection(session)
    report = await _run_ingest(storage, sources, out_key, raw_key, mapping, options)
    if new:
        session.add(dataset)
    try:
        version, created = await _save_version(
            session=session, storage=storage, dataset=dataset, version_id=version_id, sha256=report.sha256,
            files={"rows": out_key}, operation=operation, author=user, parent=parent, notes=notes, kind=report.kind,
            mapping=report.mapping, detection=report.detection, stats=report.stats, issues=report.issues,
            summary=report.summary, split=None, sources=sources, options={**options, "change": change},
            rows=report.rows, usable=report.usable,
        )
    except BaseException:
        storage.delete(raw_key)
        raise
    if not created:
        storage.delete(raw_key)  # the existing version has its own
    return version, created


def _upload_change(received: Received) -> str:
    names = ", ".join(f.name for f in received.files[:5]) + (f" and {len(received.files) - 5} more" if len(received.files) > 5 else "")
    return f"Uploaded {names} ({human_size(sum(f.size for f in received.files))})"


async def audit_upload(
    *, session: AsyncSession, user: User, dataset: Dataset, version: DatasetVersion, created: bool, new: bool,
    files: list[str], source: str = "upload",
) -> None:
    """A new dataset or a new version of one (`created` False: identical to an existing version)."""
    await audit.record(
        session, action="dataset.uploaded" if new else "dataset.version_added", actor=user, team_id=dataset.team_id,
        target_type="dataset", target_id=dataset.id, target_label=dataset.name,
        detail={"version": version.number, "new_version": created, "files": files[:20], "source": source},
    )


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
    await audit_upload(session=session, user=user, dataset=dataset, version=version, created=created, new=True,
                       files=[f.name for f in received.files])
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
    await audit_upload(session=session, user=user, dataset=dataset, version=version, created=created, new=False,
                       files=[f.name for f in received.files])
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
    version_id = uuid.uuid4()
    out_key = f"datasets/{dataset.id}/versions/{version_id}/rows.jsonl"
    job = _job(storage, [{"name": "rows.jsonl", "key": version.files["rows"]}], out_key, options, raw_key=None,
               canonical_kind=version.kind)
    report = await _run_in_child(storage, job)
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
    if created and spec and new.rows > 0 and not new.stats.get("valid_rows"):
        # Not one row fits: refuse (naming the column and why) rather than keep a version of unreadable rows.
        detail = await _mapping_misfit(session, new)
        storage.delete(f"datasets/{dataset.id}/versions/{new.id}")
        raise BadRequest(detail)
    return await _result(session, dataset.id, new, created)


_ROW_PLACE = re.compile(r"^row [\d,]+(?: \([^)]*\))?: ")


async def _mapping_misfit(session: AsyncSession, version: DatasetVersion) -> str:
    """Why no row could be read with a user's mapping, naming the column, the slot it fills, and what to do."""
    issue = await session.scalar(
        select(DatasetIssue).where(DatasetIssue.version_id == version.id, DatasetIssue.severity == "error")
        .order_by(DatasetIssue.field.is_(None), DatasetIssue.seq).limit(1)
    )
    rows = f"none of the {version.rows:,} rows" if version.rows > 1 else "the row"
    head = f"The mapping does not fit this data: {rows} could be read with it, so nothing was stored."
    if issue is None:
        return head + " Choose other columns or another format."
    columns = (version.mapping or {}).get("columns", {})
    slot = next((s for s, column in columns.items() if column == issue.field), None)
    what = _ROW_PLACE.sub("", issue.message)
    where = f"In row {issue.row:,}, {what}" if issue.row else what[:1].upper() + what[1:]
    if slot:
        return (f"{head} {where} (column {issue.field!r}, used for {slot!r}). {issue.hint} "
                f"Choose another column for {slot!r}, or another format.")
    return f"{head} {where}. {issue.hint} Choose other columns or another format."


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


async def fill_placeholders(
    *, session: AsyncSession, storage: Storage, dataset: Dataset, version: DatasetVersion, user: User,
    body: FillPlaceholdersIn,
) -> UploadResult:
    """A new version with each named template placeholder ({{name}}) replaced by the given value."""
    if version.split:
        raise Conflict(f"v{version.number} is split, and a split version is final. Fill the placeholders on the "
                       "version it was split from, then split again.")
    if version.kind is None:
        raise Conflict("This version's format was not recognised, so its rows have no text to fill in. "
                       "Change the column mapping first.")
    found = version.stats.get("placeholders") or {}
    unknown = [name for name in body.values if name not in found]
    if found and unknown:
        raise BadRequest(f"v{version.number} has no placeholder {', '.join(map(placeholders.label, unknown))}; its "
                         f"placeholders are {', '.join(map(placeholders.label, found))}.")
    options = _read_options(version.options)
    await release_connection(session)
    version_id = uuid.uuid4()
    folder = f"datasets/{dataset.id}/versions/{version_id}"
    filled_key, out_key = f"{folder}/filled.jsonl", f"{folder}/rows.jsonl"

    def fill():
        with storage.open_write(filled_key) as out:
            return placeholders.fill_rows(lambda: storage.open_read(version.files["rows"]), out, body.values,
                                          ingest_lib.dumps)

    try:
        replaced, changed = await anyio.to_thread.run_sync(fill)
        if not changed:
            raise BadRequest(f"No row of v{version.number} contains {', '.join(map(placeholders.label, body.values))}, "
                             "so nothing changed.")
        job = _job(storage, [{"name": "rows.jsonl", "key": filled_key}], out_key, options, raw_key=None,
                   canonical_kind=version.kind)
        report = await _run_in_child(storage, job)
    except BaseException:
        storage.delete(folder)
        raise
    finally:
        storage.delete(filled_key)
    filled = {name: replaced[name] for name in body.values if replaced[name]}
    change = (f"Filled {', '.join(f'{placeholders.label(name)} with {short(body.values[name], 40)}' for name in filled)} "
              f"in {changed:,} {'row' if changed == 1 else 'rows'} of v{version.number}")
    new, created = await _save_version(
        session=session, storage=storage, dataset=dataset, version_id=version_id, sha256=report.sha256,
        files={"rows": out_key}, operation=Operation.fill, author=user, parent=version, notes=body.notes,
        kind=report.kind, mapping=version.mapping, detection=version.detection, stats=report.stats,
        issues=report.issues, summary=report.summary, split=None, sources=[],
        options={**{k: v for k, v in version.options.items() if k not in ("change", "dropped", "filled")},
                 "change": change, "filled": filled},
        rows=report.rows, usable=report.usable,
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
    await audit.record(session, action="dataset.deleted", actor=user, team_id=dataset.team_id, target_type="dataset",
                       target_id=dataset.id, target_label=dataset.name, detail={"versions": len(version_ids)})
    storage.delete(f"datasets/{dataset.id}")


async def training_files(
    *, session: AsyncSession, storage: Storage, team_id: uuid.UUID, version_id: uuid.UUID
) -> tuple[DatasetVersion, dict[str, Any]]:
    """For the jobs domain: a usable version of this team and its canonical files by split
    ({"rows": path} unsplit, else {"train": path, "validation": path, ...}). Refuses versions with
    errors with the reason, so a job never starts on data that would fail twenty minutes in."""
    version = await repository.find_version_in_team(session=session, team_id=team_id, version_id=version_id)
    if version is None:
        raise NotFound("No dataset version with this id in this team.")
    if version.status != VersionStatus.usable:
        errors = version.issues_summary.get("errors", 0)
        raise Conflict(f"Dataset version v{version.number} has {errors:,} errors and cannot be trained on. "
                       "Open it, use 'Drop invalid rows', and pick the new version.")
    return version, {name: storage.path(key) for name, key in version.files.items()}
