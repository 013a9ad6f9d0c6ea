"""The model registry's routes: the team's models and versions, edits (notes, archive, tags, delete), compare."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Path, Query, Response, status

from tuneforge.errors import BadRequest
from tuneforge.jobs.deps import ViewableJob
from tuneforge.registry import service
from tuneforge.registry.deps import EditableVersion, ViewableModel, ViewableVersion
from tuneforge.registry.schemas import (
    TAG_PATTERN, CompareRead, ModelDetail, ModelRead, ModelVersionPage, ModelVersionRead, ModelVersionSummary, VersionUpdate,
)
from tuneforge.storage import get_storage
from tuneforge.teams.models import Membership, Role
from tuneforge.web.deps import CurrentUser, SessionDep, TeamMember

router = APIRouter(tags=["models"])

TagName = Path(pattern=TAG_PATTERN, description="lowercase letters, digits, '.', '_' or '-', e.g. production, candidate")


@router.get("/teams/{team_id}/models")
async def list_models(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> list[ModelRead]:
    """The team's models, each with its latest version, tags and key metric."""
    return await service.list_models(session=session, team_id=team_id)


@router.get("/teams/{team_id}/model-versions")
async def list_versions(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer),
    include_archived: bool = Query(default=False),
    limit: int = Query(default=50, ge=1, le=500), offset: int = Query(default=0, ge=0),
    q: str | None = Query(default=None, max_length=200, description="only versions whose model name contains this (any case)"),
) -> ModelVersionPage:
    """A page of the team's model versions, newest first, and their total (the wizard offers them as base
    models: version:<id>)."""
    return await service.list_versions(session=session, team_id=team_id, include_archived=include_archived,
                                       limit=limit, offset=offset, q=q)


@router.get("/teams/{team_id}/model-versions/compare")
async def compare_versions(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer),
    ids: str = Query(description="2 to 8 version ids, comma-separated", max_length=400),
) -> CompareRead:
    try:
        parsed = [uuid.UUID(part.strip()) for part in ids.split(",") if part.strip()]
    except ValueError:
        raise BadRequest("ids must be model version ids, comma-separated.") from None
    return await service.compare(session=session, team_id=team_id, ids=parsed)


@router.get("/models/{model_id}")
async def get_model(model: ViewableModel, session: SessionDep) -> ModelDetail:
    return await service.model_detail(session=session, model=model)


@router.get("/model-versions/{version_id}")
async def get_version(version: ViewableVersion, session: SessionDep) -> ModelVersionRead:
    return await service.read_version(session=session, storage=get_storage(), version=version)


@router.patch("/model-versions/{version_id}")
async def update_version(version: EditableVersion, data: VersionUpdate, session: SessionDep) -> ModelVersionRead:
    """Notes and archiving: the only edits (the lineage is never edited)."""
    await service.update_version(session=session, version=version, notes=data.notes, archived=data.archived)
    return await service.read_version(session=session, storage=get_storage(), version=version)


@router.put("/model-versions/{version_id}/tags/{tag}")
async def set_tag(version: EditableVersion, session: SessionDep, user: CurrentUser, tag: str = TagName) -> ModelVersionRead:
    """Put the tag on this version; if another version of the model had it, it moves here."""
    await service.set_tag(session=session, version=version, name=tag, actor=user)
    return await service.read_version(session=session, storage=get_storage(), version=version)


@router.delete("/model-versions/{version_id}/tags/{tag}")
async def remove_tag(version: EditableVersion, session: SessionDep, user: CurrentUser, tag: str = TagName) -> ModelVersionRead:
    await service.remove_tag(session=session, version=version, name=tag, actor=user)
    return await service.read_version(session=session, storage=get_storage(), version=version)


@router.delete("/model-versions/{version_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_version(version: EditableVersion, session: SessionDep, user: CurrentUser) -> Response:
    """Removes the version from the registry (409 while a job starts from it); the job's files stay with the job."""
    await service.delete_version(session=session, version=version, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/jobs/{job_id}/model-version")
async def job_model_version(job: ViewableJob, session: SessionDep) -> ModelVersionSummary | None:
    """The model version this job made (null until it succeeds, or if the version was deleted)."""
    return await service.version_of_job(session=session, job=job)
