from __future__ import annotations

import asyncio
import uuid
from typing import Any

import yaml
from fastapi import APIRouter, Body, Query, Response, status
from fastapi.responses import FileResponse, PlainTextResponse

from tuneforge.web.deps import CurrentUser, SessionDep, SettingsDep, TeamMember
from tuneforge.errors import NotFound
from tuneforge.jobs import base_models, service
from tuneforge.jobs.deps import EditableJob, ViewableJob
from tuneforge.jobs.models import Job, JobTemplate
from tuneforge.jobs.schemas import (
    ArtifactRead,
    EstimateRequest,
    JobCreate,
    JobEventRead,
    JobPage,
    JobRead,
    ModelFolder,
    TemplateCreate,
    TemplateRead,
)
from tuneforge.storage import get_storage
from tuneforge.teams import service as teams_service
from tuneforge.training import catalogue
from tuneforge.teams.models import Membership, Role

router = APIRouter(tags=["jobs"])


def _read(job: Job, creator: str | None) -> JobRead:
    return JobRead.model_validate(job).model_copy(update={"created_by_name": creator})


@router.get("/model-folders")
async def list_model_folders(settings: SettingsDep, user: CurrentUser) -> list[ModelFolder]:
    """Model folders on this server that any team may train from (TUNEFORGE_MODEL_DIRS)."""
    return [ModelFolder(**f) for f in await asyncio.to_thread(base_models.registered_folders, settings)]


@router.post("/teams/{team_id}/jobs", status_code=status.HTTP_201_CREATED)
async def create_job(
    team_id: uuid.UUID, data: JobCreate, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    membership: Membership = TeamMember(Role.member),
) -> JobRead:
    job = await service.create_job(session=session, settings=settings, storage=get_storage(), team_id=team_id, user=user, data=data)
    return _read(job, user.display_name)


@router.post("/teams/{team_id}/jobs/estimate")
async def estimate_job(
    team_id: uuid.UUID, data: EstimateRequest, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    membership: Membership = TeamMember(Role.viewer),
) -> dict[str, Any]:
    """Validates the settings like a launch would, and estimates memory, time and cost on every target."""
    launch = await service.prepare_launch(
        session=session, settings=settings, storage=get_storage(), team_id=team_id, user=user, data=data, estimate_only=True
    )
    spec = launch.spec
    # Copyable for `tuneforge train`: what defines the run first, then only what differs from defaults.
    spec_dict = {
        "method": spec.method, "adapter": spec.adapter, "base_model": spec.base_model,
        **spec.model_dump(mode="json", exclude_defaults=True),
    }
    return {**launch.estimates, "facts": launch.facts, "spec_yaml": yaml.safe_dump(spec_dict, sort_keys=False)}


@router.get("/teams/{team_id}/jobs")
async def list_jobs(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer),
    status: str | None = Query(default=None, description="comma-separated statuses"),
    method: str | None = None, created_by: uuid.UUID | None = None,
    limit: int = Query(default=50, ge=1, le=200), offset: int = Query(default=0, ge=0),
) -> JobPage:
    rows, total = await service.list_jobs(
        session=session, team_id=team_id, status=status, method=method, created_by=created_by, limit=limit, offset=offset
    )
    return JobPage(items=[_read(job, name) for job, name in rows], total=total)


@router.get("/teams/{team_id}/analytics")
async def analytics(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer),
    days: int = Query(default=30, ge=1, le=365),
) -> dict[str, Any]:
    return await service.team_analytics(session=session, team_id=team_id, days=days)


@router.get("/jobs/{job_id}")
async def get_job(job: ViewableJob, session: SessionDep) -> JobRead:
    return _read(job, await service.creator_name(session=session, job=job))


@router.get("/jobs/{job_id}/events")
async def job_events(
    job: ViewableJob, session: SessionDep, after_seq: int = Query(default=0, ge=0), limit: int = Query(default=1000, ge=1, le=5000)
) -> list[JobEventRead]:
    return [JobEventRead.model_validate(e) for e in await service.list_events(session=session, job_id=job.id, after_seq=after_seq, limit=limit)]


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(job: EditableJob, session: SessionDep, user: CurrentUser) -> JobRead:
    job = await service.cancel_job(session=session, job=job, user=user)
    return _read(job, await service.creator_name(session=session, job=job))


@router.post("/jobs/{job_id}/retry")
async def retry_job(job: EditableJob, session: SessionDep, user: CurrentUser) -> JobRead:
    job = await service.retry_job(session=session, storage=get_storage(), job=job, user=user)
    return _read(job, await service.creator_name(session=session, job=job))


@router.post("/jobs/{job_id}/resume")
async def resume_job(job: EditableJob, session: SessionDep, user: CurrentUser) -> JobRead:
    job = await service.resume_job(session=session, storage=get_storage(), job=job, user=user)
    return _read(job, await service.creator_name(session=session, job=job))


@router.get("/jobs/{job_id}/config")
async def job_config(job: ViewableJob) -> dict[str, Any]:
    """The job's settings as the wizard submits them: open the wizard on these to run it again with changes."""
    return service.merged_config(job, {})


@router.post("/jobs/{job_id}/clone", status_code=status.HTTP_201_CREATED)
async def clone_job(
    job: EditableJob, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    overrides: dict[str, Any] = Body(default_factory=dict),
) -> JobRead:
    data = JobCreate.model_validate(service.merged_config(job, overrides))
    clone = await service.create_job(
        session=session, settings=settings, storage=get_storage(), team_id=job.team_id, user=user, data=data, cloned_from=job.id
    )
    return _read(clone, user.display_name)


@router.delete("/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_job(job: EditableJob, session: SessionDep) -> Response:
    await service.delete_job(session=session, storage=get_storage(), job=job)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/jobs/{job_id}/spec.yaml", response_class=PlainTextResponse)
async def job_spec_yaml(job: ViewableJob) -> str:
    """The resolved spec, runnable with `tuneforge train` on this machine."""
    spec = job.resolved_spec or service.merged_config(job, {})
    return yaml.safe_dump(spec, sort_keys=False)


@router.get("/jobs/{job_id}/artifacts")
async def list_artifacts(job: ViewableJob) -> list[ArtifactRead]:
    return [ArtifactRead(**a) for a in service.list_artifacts(storage=get_storage(), job=job)]


@router.get("/jobs/{job_id}/artifacts/{path:path}")
async def download_artifact(job: ViewableJob, path: str) -> FileResponse:
    target = service.artifact_path(storage=get_storage(), job=job, path=path)
    return FileResponse(target, filename=target.name)


@router.get("/modal/gpus")
async def modal_gpus() -> dict[str, Any]:
    return {
        "price_table_date": catalogue.PRICE_TABLE_DATE,
        "gpus": [
            {"name": gpu.name, "memory_gib": gpu.memory_gib, "bf16": gpu.bf16, "usd_per_hour": gpu.usd_per_hour}
            for gpu in catalogue.GPU_TYPES.values()
        ],
    }


@router.get("/teams/{team_id}/job-templates")
async def list_templates(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> list[TemplateRead]:
    from sqlalchemy import select

    rows = await session.scalars(select(JobTemplate).where(JobTemplate.team_id == team_id).order_by(JobTemplate.name))
    return [TemplateRead.model_validate(t) for t in rows]


@router.post("/teams/{team_id}/job-templates", status_code=status.HTTP_201_CREATED)
async def create_template(
    team_id: uuid.UUID, data: TemplateCreate, session: SessionDep, user: CurrentUser,
    membership: Membership = TeamMember(Role.member),
) -> TemplateRead:
    return TemplateRead.model_validate(await service.create_template(session=session, team_id=team_id, user=user, data=data))


@router.delete("/job-templates/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_template(template_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    template = await session.get(JobTemplate, template_id)
    if template is None:
        raise NotFound("No such template.")
    await teams_service.require_membership(session=session, user_id=user.id, team_id=template.team_id, min_role=Role.member)
    await session.delete(template)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
