from __future__ import annotations

import asyncio
import uuid
from typing import Any

import yaml
from pydantic import ValidationError
from fastapi import APIRouter, Body, Query, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, PlainTextResponse, StreamingResponse

from tuneforge.web.deps import CurrentUser, SessionDep, SettingsDep, TeamMember
from tuneforge.jobs import accuracy, base_models, billing, repository, service
from tuneforge.jobs.deps import EditableJob, ViewableJob
from tuneforge.jobs.models import Job
from tuneforge.jobs.resolve import for_display, redact_tree
from tuneforge.jobs.schemas import (
    ArtifactRead,
    BilledTo,
    ConfigImportRead,
    ConfigImportRequest,
    EstimateAccuracy,
    EstimateRead,
    EstimateRequest,
    GpuCatalogue,
    GpuRead,
    ImportedJobConfig,
    JobCreate,
    JobEventRead,
    JobPage,
    JobRead,
    ModelFolder,
    TemplateCreate,
    TemplateRead,
)
from tuneforge.storage import get_storage
from tuneforge.errors import BadRequest
from tuneforge.training import catalogue, config_import
from tuneforge.teams.models import Membership, Role

router = APIRouter(tags=["jobs"])


def _read(job: Job, creator: str | None, billed: dict[uuid.UUID, billing.BilledTo] | None = None) -> JobRead:
    """A job as users see it: no server path anywhere (resolved spec, result, checkpoint, messages, stderr
    tail; also in rows stored before paths were shown as `storage:`), see jobs.resolve.redact. `billed`:
    whose Modal token pays, by job id (billing.billed_to) — a name and a token hint, never the secret."""
    payer = (billed or {}).get(job.id)
    shown = JobRead.model_validate(job).model_copy(
        update={"created_by_name": creator, "billed_to": BilledTo.model_validate(payer, from_attributes=True) if payer else None}
    )
    return JobRead.model_validate(redact_tree(shown.model_dump(), get_storage()))


async def _billed(session, *jobs: Job) -> dict[uuid.UUID, billing.BilledTo]:
    return await billing.billed_to(session=session, jobs=list(jobs))


# Above every spec offered for `tuneforge train`: what its `storage:` paths are and how to get them.
SPEC_YAML_NOTE = (
    "# Paths are shown as TuneForge names them: storage:datasets/<dataset id>/versions/<version id>/... is a\n"
    "# dataset version's file (Datasets page, Download), storage:jobs/<job id>/output a job's output (its\n"
    "# artifacts). To run this with `tuneforge train`, download them and put their local paths here.\n"
)


def _spec_yaml(spec: dict[str, Any]) -> str:
    return SPEC_YAML_NOTE + yaml.safe_dump(spec, sort_keys=False)


@router.get("/model-folders")
async def list_model_folders(settings: SettingsDep, user: CurrentUser) -> list[ModelFolder]:
    """Model folders on this server that any team may train from (TUNEFORGE_MODEL_DIRS)."""
    return [ModelFolder(**f) for f in await asyncio.to_thread(base_models.registered_folders, settings)]


@router.post("/config-imports")
async def import_training_config(data: ConfigImportRequest, user: CurrentUser) -> ConfigImportRead:
    """Map a LLaMA-Factory or Axolotl training YAML onto a job configuration for the wizard: the config
    (no dataset yet), every option that could not be mapped and why, and the datasets it names."""
    try:
        result = config_import.import_config(data.text, data.dataset_info)
        config = ImportedJobConfig.model_validate(result.config)
    except config_import.ConfigImportError as exc:
        raise BadRequest(f"{exc.message}. {exc.hint}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadRequest(f"The imported {where} is not valid: {first['msg']}. Fix it in the file and import again.") from exc
    return ConfigImportRead(
        source=result.source, config=config, mapped=result.config, unmapped=result.unmapped, dataset_hint=result.dataset_hint
    )


@router.post("/teams/{team_id}/jobs", status_code=status.HTTP_201_CREATED)
async def create_job(
    team_id: uuid.UUID, data: JobCreate, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    membership: Membership = TeamMember(Role.member),
) -> JobRead:
    job = await service.create_job(session=session, settings=settings, storage=get_storage(), team_id=team_id, user=user, data=data)
    return _read(job, user.display_name, await _billed(session, job))


# Fields a target does not have (a Modal GPU's worker, a failed estimate's numbers) stay out of the JSON.
@router.post("/teams/{team_id}/jobs/estimate", response_model_exclude_unset=True)
async def estimate_job(
    team_id: uuid.UUID, data: EstimateRequest, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    membership: Membership = TeamMember(Role.viewer),
) -> EstimateRead:
    """Validates the settings like a launch would, and estimates memory, time and cost on every target."""
    launch = await service.prepare_launch(
        session=session, settings=settings, storage=get_storage(), team_id=team_id, user=user, data=data, estimate_only=True
    )
    storage = get_storage()
    spec = for_display(launch.spec, storage)
    # Copyable for `tuneforge train`: what defines the run first, then only what differs from defaults.
    spec_dict = {
        "method": spec.method, "adapter": spec.adapter, "base_model": spec.base_model,
        **spec.model_dump(mode="json", exclude_defaults=True),
    }
    return EstimateRead.model_validate(
        redact_tree({**launch.estimates, "facts": launch.facts, "spec_yaml": _spec_yaml(spec_dict)}, storage)
    )


@router.get("/teams/{team_id}/jobs")
async def list_jobs(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer),
    status: str | None = Query(default=None, description="comma-separated statuses"),
    method: str | None = None, created_by: uuid.UUID | None = None,
    limit: int = Query(default=50, ge=1, le=200), offset: int = Query(default=0, ge=0),
    q: str | None = Query(default=None, max_length=200, description="only jobs whose name contains this (any case)"),
) -> JobPage:
    rows, total = await service.list_jobs(
        session=session, team_id=team_id, status=status, method=method, created_by=created_by, limit=limit, offset=offset,
        q=q,
    )
    billed = await _billed(session, *(job for job, _ in rows))
    return JobPage(items=[_read(job, name, billed) for job, name in rows], total=total)


@router.get("/teams/{team_id}/estimate-accuracy")
async def estimate_accuracy(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer),
    limit: int = Query(default=12, ge=1, le=100, description="the last N succeeded jobs"),
) -> EstimateAccuracy:
    """Actual / estimated wall time over the team's last succeeded jobs (recorded when each ended)."""
    return EstimateAccuracy.model_validate(await accuracy.team_accuracy(session=session, team_id=team_id, limit=limit))


@router.get("/jobs/{job_id}")
async def get_job(job: ViewableJob, session: SessionDep) -> JobRead:
    return _read(job, await service.creator_name(session=session, job=job), await _billed(session, job))


@router.get("/jobs/{job_id}/events")
async def job_events(
    job: ViewableJob, session: SessionDep, after_seq: int = Query(default=0, ge=0), limit: int = Query(default=1000, ge=1, le=5000)
) -> list[JobEventRead]:
    return [JobEventRead.model_validate(e) for e in await service.list_events(session=session, job_id=job.id, after_seq=after_seq, limit=limit)]


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(job: EditableJob, session: SessionDep, user: CurrentUser) -> JobRead:
    job = await service.cancel_job(session=session, job=job, user=user)
    return _read(job, await service.creator_name(session=session, job=job), await _billed(session, job))


@router.post("/jobs/{job_id}/retry")
async def retry_job(job: EditableJob, session: SessionDep, user: CurrentUser) -> JobRead:
    job = await service.retry_job(session=session, storage=get_storage(), job=job, user=user)
    return _read(job, await service.creator_name(session=session, job=job), await _billed(session, job))


@router.post("/jobs/{job_id}/resume")
async def resume_job(job: EditableJob, session: SessionDep, user: CurrentUser) -> JobRead:
    job = await service.resume_job(session=session, storage=get_storage(), job=job, user=user)
    return _read(job, await service.creator_name(session=session, job=job), await _billed(session, job))


@router.get("/jobs/{job_id}/config")
async def job_config(job: ViewableJob) -> JobCreate:
    """The job's settings as the wizard submits them: open the wizard on these to run it again with changes."""
    return JobCreate.model_validate(redact_tree(service.launch_settings(job).model_dump(), get_storage()))


@router.post("/jobs/{job_id}/clone", status_code=status.HTTP_201_CREATED)
async def clone_job(
    job: EditableJob, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    overrides: dict[str, Any] = Body(default_factory=dict),
) -> JobRead:
    """Launches a copy of the job: its settings with `overrides` merged in (nested keys one by one)."""
    try:
        data = service.launch_settings(job, overrides)
    except ValidationError as exc:
        raise RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in exc.errors()]) from exc
    clone = await service.create_job(
        session=session, settings=settings, storage=get_storage(), team_id=job.team_id, user=user, data=data, cloned_from=job.id
    )
    return _read(clone, user.display_name, await _billed(session, clone))


@router.delete("/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_job(job: EditableJob, session: SessionDep, user: CurrentUser) -> Response:
    await service.delete_job(session=session, storage=get_storage(), job=job, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/jobs/{job_id}/spec.yaml", response_class=PlainTextResponse)
async def job_spec_yaml(job: ViewableJob, session: SessionDep) -> str:
    """The resolved spec, for `tuneforge train` once its `storage:` files are downloaded (SPEC_YAML_NOTE)."""
    spec = await service.runnable_spec(session=session, storage=get_storage(), job=job)
    return _spec_yaml(spec.model_dump(mode="json"))


@router.get("/jobs/{job_id}/artifacts")
async def list_artifacts(job: ViewableJob) -> list[ArtifactRead]:
    return [ArtifactRead(**a) for a in service.list_artifacts(storage=get_storage(), job=job)]


@router.get(
    "/jobs/{job_id}/artifacts.zip",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the result files as one zip"}},
)
async def download_result_archive(job: ViewableJob) -> StreamingResponse:
    """The job's result - the adapter or full model with its tokenizer, model card, metrics and
    evaluation, without checkpoints - as one zip, streamed from storage as it is made."""
    name, chunks = service.result_archive(storage=get_storage(), job=job)
    return StreamingResponse(
        chunks, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}.zip"'}
    )


@router.get("/jobs/{job_id}/artifacts/{path:path}", response_class=FileResponse)
async def download_artifact(job: ViewableJob, path: str) -> FileResponse:
    target = service.artifact_path(storage=get_storage(), job=job, path=path)
    return FileResponse(target, filename=target.name)


@router.get("/modal/gpus")
async def modal_gpus() -> GpuCatalogue:
    return GpuCatalogue(
        price_table_date=catalogue.PRICE_TABLE_DATE,
        gpus=[
            GpuRead(name=gpu.name, memory_gib=gpu.memory_gib, bf16=gpu.bf16, usd_per_hour=gpu.usd_per_hour)
            for gpu in catalogue.GPU_TYPES.values()
        ],
    )


@router.get("/teams/{team_id}/job-templates")
async def list_templates(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> list[TemplateRead]:
    return [TemplateRead.model_validate(t) for t in await repository.list_templates(session=session, team_id=team_id)]


@router.post("/teams/{team_id}/job-templates", status_code=status.HTTP_201_CREATED)
async def create_template(
    team_id: uuid.UUID, data: TemplateCreate, session: SessionDep, user: CurrentUser,
    membership: Membership = TeamMember(Role.member),
) -> TemplateRead:
    return TemplateRead.model_validate(await service.create_template(session=session, team_id=team_id, user=user, data=data))


@router.delete("/job-templates/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_template(template_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    await service.delete_template(session=session, template_id=template_id, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
