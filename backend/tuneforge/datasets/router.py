"""/api/teams/{team_id}/datasets — contract in docs/api/datasets.md."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import FileResponse

from tuneforge.datasets import hub_import, service
from tuneforge.datasets.deps import DatasetDep, Member, VersionDep, Viewer
from tuneforge.datasets.ingest.detect import FORMATS
from tuneforge.datasets.schemas import (
    DatasetRead,
    DatasetUpdate,
    DropInvalidIn,
    FillPlaceholdersIn,
    FormatRead,
    HubImportIn,
    IssuePage,
    MappingChangeIn,
    PreviewPage,
    RenderedRow,
    SplitIn,
    StatsRead,
    UploadResult,
    VersionRead,
)
from tuneforge.datasets.upload import receive_upload
from tuneforge.quotas import service as quotas
from tuneforge.web.deps import CurrentUser, SessionDep, SettingsDep
from tuneforge.errors import BadRequest
from tuneforge.training.catalogue import DEFAULT_BASE_MODEL, BundledModelName
from tuneforge.storage import Storage, get_storage

router = APIRouter(prefix="/teams/{team_id}/datasets", tags=["datasets"])
formats_router = APIRouter(tags=["datasets"])

StorageDep = Annotated[Storage, Depends(get_storage)]

_MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["files"],
            "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "name": {"type": "string", "description": "dataset name (create only; default: first file's name)"},
                "description": {"type": "string"},
                "notes": {"type": "string", "description": "notes for this version"},
                "mapping": {"type": "string", "description": "JSON MappingIn; omit to detect"},
                "options": {"type": "string", "description": "JSON IngestOptionsIn"},
            },
        }}},
    }
}


def _declared(request: Request) -> int | None:
    """The body's declared size (Content-Length), for refusing an upload past the team's storage limit
    before reading it; None when chunked."""
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _status(response: Response, result: UploadResult) -> UploadResult:
    response.status_code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return result


@formats_router.get("/dataset-formats")
async def list_formats(_: CurrentUser) -> list[FormatRead]:
    """The column-based formats a mapping can name, with their slots (POST …/versions/{id}/mapping)."""
    return [
        FormatRead(name=f.name, kind=f.kind, title=f.title, required={k: list(v) for k, v in f.required.items()},
                   optional={k: list(v) for k, v in f.optional.items()})
        for f in FORMATS.values()
    ]


@router.get("")
async def list_datasets(team_id: uuid.UUID, session: SessionDep, _: Viewer, archived: bool = False) -> list[DatasetRead]:
    return await service.list_datasets(session=session, team_id=team_id, include_archived=archived)


@router.post("", status_code=201, openapi_extra=_MULTIPART, responses={413: {"description": "over the size cap"}})
async def create_dataset(
    team_id: uuid.UUID, request: Request, response: Response, session: SessionDep, storage: StorageDep,
    settings: SettingsDep, user: CurrentUser, _: Member,
) -> UploadResult:
    dataset_id = uuid.uuid4()
    await quotas.precheck_storage(session=session, team_id=team_id, actor=user, declared=_declared(request),
                                  attempted="dataset.upload")  # before the body is read
    await service.release_connection(session)  # the body may take minutes to arrive
    received = await receive_upload(request, storage=storage, prefix=f"datasets/{dataset_id}/uploads",
                                    max_bytes=service.max_upload_bytes(settings))
    result = await service.create_dataset(session=session, storage=storage, team_id=team_id, user=user,
                                          dataset_id=dataset_id, received=received)
    return _status(response, result)


@router.post("/hub-imports", status_code=201, responses={
    403: {"description": "private or gated on the Hub"}, 404: {"description": "no such dataset or revision on the Hub"},
    413: {"description": "over the size cap"}, 503: {"description": "the Hub cannot be reached"}})
async def import_from_hub(
    team_id: uuid.UUID, body: HubImportIn, response: Response, session: SessionDep, storage: StorageDep,
    settings: SettingsDep, user: CurrentUser, _: Member,
) -> UploadResult:
    """A new dataset (or, with `dataset_id`, a new version) from a Hugging Face Hub dataset's files, read like an upload."""
    result = await hub_import.import_from_hub(session=session, storage=storage, settings=settings, team_id=team_id,
                                              user=user, body=body)
    return _status(response, result)


@router.get("/{dataset_id}")
async def get_dataset(dataset: DatasetDep, session: SessionDep) -> DatasetRead:
    return await service.dataset_read(session=session, dataset=dataset)


@router.patch("/{dataset_id}")
async def update_dataset(dataset: DatasetDep, body: DatasetUpdate, session: SessionDep, _: Member) -> DatasetRead:
    return await service.update_dataset(session=session, dataset=dataset, body=body)


@router.delete("/{dataset_id}", status_code=204)
async def delete_dataset(
    dataset: DatasetDep, session: SessionDep, storage: StorageDep, user: CurrentUser, membership: Member
) -> Response:
    await service.delete_dataset(session=session, storage=storage, dataset=dataset, membership=membership, user=user)
    return Response(status_code=204)


@router.get("/{dataset_id}/versions")
async def list_versions(dataset: DatasetDep, session: SessionDep) -> list[VersionRead]:
    return await service.list_versions(session=session, dataset=dataset)


@router.post("/{dataset_id}/versions", status_code=201, openapi_extra=_MULTIPART)
async def upload_version(
    dataset: DatasetDep, request: Request, response: Response, session: SessionDep, storage: StorageDep,
    settings: SettingsDep, user: CurrentUser, _: Member,
) -> UploadResult:
    await quotas.precheck_storage(session=session, team_id=dataset.team_id, actor=user, declared=_declared(request),
                                  attempted="dataset.upload")  # before the body is read
    await service.release_connection(session)  # the body may take minutes to arrive
    received = await receive_upload(request, storage=storage, prefix=f"datasets/{dataset.id}/uploads",
                                    max_bytes=service.max_upload_bytes(settings))
    result = await service.upload_version(session=session, storage=storage, dataset=dataset, user=user, received=received)
    return _status(response, result)


@router.get("/{dataset_id}/versions/{version_id}")
async def get_version(version: VersionDep) -> VersionRead:
    return service.version_read(version)


@router.get("/{dataset_id}/versions/{version_id}/stats")
async def get_stats(version: VersionDep) -> StatsRead:
    return StatsRead(kind=version.kind, rows=version.rows, status=version.status, stats=version.stats,
                     issues_summary=version.issues_summary, split=version.split)


@router.get("/{dataset_id}/versions/{version_id}/issues")
async def list_issues(
    version: VersionDep, session: SessionDep,
    severity: Literal["error", "warning", "info"] | None = None,
    code: str | None = Query(None, max_length=40),
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=500),
) -> IssuePage:
    return await service.list_issues(session=session, version=version, severity=severity, code=code, offset=offset, limit=limit)


@router.get("/{dataset_id}/versions/{version_id}/rows")
async def preview_rows(
    version: VersionDep, session: SessionDep, storage: StorageDep,
    split: str | None = Query(None, description='"rows" (unsplit) or train/validation/test; default: the first'),
    offset: int = Query(0, ge=0),
    limit: int = Query(20, ge=1, le=200),
) -> PreviewPage:
    return await service.preview_rows(session=session, storage=storage, version=version, split=split, offset=offset, limit=limit)


@router.get("/{dataset_id}/versions/{version_id}/rows/{row}/rendered")
async def rendered_row(
    version: VersionDep, storage: StorageDep, row: int,
    split: str | None = None,
    base_model: BundledModelName = DEFAULT_BASE_MODEL,
    max_length: int = Query(2048, ge=16, le=131072),
) -> RenderedRow:
    if row < 1:
        raise BadRequest("Rows are numbered from 1.")
    return await service.render_preview(storage=storage, version=version, row=row, split=split, base_model=base_model,
                                        max_length=max_length)


@router.get("/{dataset_id}/versions/{version_id}/download", response_class=FileResponse)
async def download(version: VersionDep, storage: StorageDep, split: str | None = None) -> FileResponse:
    name, key = service._split_key(version, split)
    return FileResponse(storage.path(key), media_type="application/x-ndjson",
                        filename=f"v{version.number}-{name}.jsonl")


@router.post("/{dataset_id}/versions/{version_id}/drop-invalid", status_code=201)
async def drop_invalid(
    dataset: DatasetDep, version: VersionDep, body: DropInvalidIn, response: Response, session: SessionDep,
    storage: StorageDep, user: CurrentUser, _: Member,
) -> UploadResult:
    result = await service.drop_invalid(session=session, storage=storage, dataset=dataset, version=version, user=user, body=body)
    return _status(response, result)


@router.post("/{dataset_id}/versions/{version_id}/mapping", status_code=201)
async def change_mapping(
    dataset: DatasetDep, version: VersionDep, body: MappingChangeIn, response: Response, session: SessionDep,
    storage: StorageDep, user: CurrentUser, _: Member,
) -> UploadResult:
    result = await service.change_mapping(session=session, storage=storage, dataset=dataset, version=version, user=user,
                                          body=body)
    return _status(response, result)


@router.post("/{dataset_id}/versions/{version_id}/fill-placeholders", status_code=201)
async def fill_placeholders(
    dataset: DatasetDep, version: VersionDep, body: FillPlaceholdersIn, response: Response, session: SessionDep,
    storage: StorageDep, user: CurrentUser, _: Member,
) -> UploadResult:
    """A new version with the template placeholders ({{name}}) replaced by the given values."""
    result = await service.fill_placeholders(session=session, storage=storage, dataset=dataset, version=version,
                                             user=user, body=body)
    return _status(response, result)


@router.post("/{dataset_id}/versions/{version_id}/split", status_code=201)
async def split(
    dataset: DatasetDep, version: VersionDep, body: SplitIn, response: Response, session: SessionDep,
    storage: StorageDep, user: CurrentUser, _: Member,
) -> UploadResult:
    result = await service.split_version(session=session, storage=storage, dataset=dataset, version=version, user=user, body=body)
    return _status(response, result)
