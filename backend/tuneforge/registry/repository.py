"""Queries on the team's models, versions and tags, shared by the routes' dependencies, the services and
the jobs' allow-list. A model or version of a team the caller is not in reads as missing (404)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.errors import NotFound
from tuneforge.jobs.models import Job, JobEvent
from tuneforge.jobs.resolve import VERSION_PREFIX
from tuneforge.registry.models import ModelTag, ModelVersion, RegisteredModel
from tuneforge.teams import repository as teams_repository
from tuneforge.teams.models import Role

NO_SUCH_MODEL = "No such model, or it belongs to a team you are not in."
NO_SUCH_VERSION = "No such model version, or it belongs to a team you are not in."


def reference(version_id: uuid.UUID) -> str:
    """How a job names a model version as a model (base model, reward model, ...)."""
    return f"{VERSION_PREFIX}{version_id}"


async def _member(session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID, min_role: Role, message: str) -> None:
    await teams_repository.require_membership(session=session, user_id=user_id, team_id=team_id, min_role=min_role,
                                              not_found=message)


async def model_for_member(*, session: AsyncSession, model_id: uuid.UUID, user_id: uuid.UUID, min_role: Role = Role.viewer) -> RegisteredModel:
    model = await session.get(RegisteredModel, model_id)
    if model is None:
        raise NotFound(NO_SUCH_MODEL)
    await _member(session, user_id, model.team_id, min_role, NO_SUCH_MODEL)
    return model


async def version_for_member(*, session: AsyncSession, version_id: uuid.UUID, user_id: uuid.UUID, min_role: Role = Role.viewer) -> ModelVersion:
    version = await session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound(NO_SUCH_VERSION)
    await _member(session, user_id, version.team_id, min_role, NO_SUCH_VERSION)
    return version


async def version_in_team(*, session: AsyncSession, team_id: uuid.UUID, version_id: uuid.UUID) -> ModelVersion | None:
    version = await session.get(ModelVersion, version_id)
    return version if version is not None and version.team_id == team_id else None


async def model_in_team(*, session: AsyncSession, team_id: uuid.UUID, model_id: uuid.UUID) -> RegisteredModel | None:
    model = await session.get(RegisteredModel, model_id)
    return model if model is not None and model.team_id == team_id else None


async def lock_model(*, session: AsyncSession, model_id: uuid.UUID) -> RegisteredModel | None:
    """The model row, locked until the transaction ends: version numbers are handed out one at a time."""
    return (await session.execute(select(RegisteredModel).where(RegisteredModel.id == model_id).with_for_update())).scalar_one_or_none()


async def get_or_create_model_locked(
    *, session: AsyncSession, team_id: uuid.UUID, name: str, created_by: uuid.UUID | None
) -> RegisteredModel:
    """The team's model of this name (made if missing, also when two jobs finish at once), locked."""
    await session.execute(
        insert(RegisteredModel)
        .values(id=uuid.uuid4(), team_id=team_id, name=name, description="", created_by=created_by, last_number=0)
        .on_conflict_do_nothing(index_elements=["team_id", "name"])
    )
    return (
        await session.execute(
            select(RegisteredModel).where(RegisteredModel.team_id == team_id, RegisteredModel.name == name)
            .with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one()


async def version_of_job(*, session: AsyncSession, job_id: uuid.UUID) -> ModelVersion | None:
    return (await session.execute(select(ModelVersion).where(ModelVersion.job_id == job_id))).scalar_one_or_none()


async def models_in_team(*, session: AsyncSession, team_id: uuid.UUID) -> Sequence[RegisteredModel]:
    return (await session.scalars(
        select(RegisteredModel).where(RegisteredModel.team_id == team_id).order_by(RegisteredModel.updated_at.desc())
    )).all()


async def versions_in_team(
    *, session: AsyncSession, team_id: uuid.UUID, model_id: uuid.UUID | None = None, include_archived: bool = True
) -> Sequence[ModelVersion]:
    query = select(ModelVersion).where(ModelVersion.team_id == team_id)
    if model_id is not None:
        query = query.where(ModelVersion.model_id == model_id)
    if not include_archived:
        query = query.where(ModelVersion.archived.is_(False))
    return (await session.scalars(query.order_by(ModelVersion.created_at.desc(), ModelVersion.number.desc()))).all()


# A version's list fields, read from the row without its lineage (which carries files, hashes and spec: ~1 KB+).
SUMMARY_COLUMNS = (
    ModelVersion.id, ModelVersion.model_id, RegisteredModel.name.label("model_name"), ModelVersion.number,
    ModelVersion.created_at, ModelVersion.archived, ModelVersion.job_id,
    ModelVersion.lineage["base_model"]["reference"].astext.label("base_model"),
    *(ModelVersion.lineage["metrics"][name].label(f"metric_{name}") for name in ("eval_loss", "train_loss", "loss")),
)


async def version_page(
    *, session: AsyncSession, team_id: uuid.UUID, include_archived: bool, limit: int, offset: int, q: str | None = None,
) -> tuple[Sequence[Any], int]:
    """A page of the team's versions as SUMMARY_COLUMNS rows, newest first, and the total.
    `q`: only versions whose model name contains it (any case; % and _ are plain characters)."""
    query = select(*SUMMARY_COLUMNS).join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id).where(
        ModelVersion.team_id == team_id)
    if not include_archived:
        query = query.where(ModelVersion.archived.is_(False))
    if q and q.strip():
        text = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(RegisteredModel.name.ilike(f"%{text}%", escape="\\"))
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await session.execute(
        query.order_by(ModelVersion.created_at.desc(), ModelVersion.number.desc(), ModelVersion.id).limit(limit).offset(offset))
    return rows.all(), total


async def latest_versions(*, session: AsyncSession, team_id: uuid.UUID) -> Sequence[Any]:
    """Each model's latest unarchived version (its latest archived one when all are), as SUMMARY_COLUMNS rows."""
    return (await session.execute(
        select(*SUMMARY_COLUMNS).join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
        .where(ModelVersion.team_id == team_id)
        .ext(distinct_on(ModelVersion.model_id))
        .order_by(ModelVersion.model_id, ModelVersion.archived, ModelVersion.number.desc())
    )).all()


async def version_counts(*, session: AsyncSession, team_id: uuid.UUID) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(ModelVersion.model_id, func.count()).where(ModelVersion.team_id == team_id).group_by(ModelVersion.model_id))
    return {model_id: count for model_id, count in rows}


async def tags_of_versions(*, session: AsyncSession, version_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    rows = await session.execute(
        select(ModelTag.version_id, ModelTag.name).where(ModelTag.version_id.in_(list(version_ids))).order_by(ModelTag.name))
    found: dict[uuid.UUID, list[str]] = {}
    for version_id, name in rows:
        found.setdefault(version_id, []).append(name)
    return found


async def tag_numbers(*, session: AsyncSession, team_id: uuid.UUID) -> dict[uuid.UUID, dict[str, int]]:
    """Per model of the team: tag -> the number of the version that has it."""
    rows = await session.execute(
        select(ModelTag.model_id, ModelTag.name, ModelVersion.number)
        .join(ModelVersion, ModelVersion.id == ModelTag.version_id)
        .join(RegisteredModel, RegisteredModel.id == ModelTag.model_id)
        .where(RegisteredModel.team_id == team_id)
        .order_by(ModelTag.name)
    )
    found: dict[uuid.UUID, dict[str, int]] = {}
    for model_id, name, number in rows:
        found.setdefault(model_id, {})[name] = number
    return found


async def model_names(*, session: AsyncSession, model_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(RegisteredModel.id, RegisteredModel.name).where(RegisteredModel.id.in_(list(model_ids))))
    return {row.id: row.name for row in rows}


async def tags_of_models(*, session: AsyncSession, model_ids: Sequence[uuid.UUID]) -> Sequence[ModelTag]:
    return (await session.scalars(
        select(ModelTag).where(ModelTag.model_id.in_(list(model_ids))).order_by(ModelTag.name)
    )).all()


async def get_tag(*, session: AsyncSession, model_id: uuid.UUID, name: str) -> ModelTag | None:
    return await session.get(ModelTag, (model_id, name))


async def jobs_using(*, session: AsyncSession, team_id: uuid.UUID, version_id: uuid.UUID) -> Sequence[Job]:
    """The team's jobs that name this version as a model (base model, reward model, ...) in their configuration."""
    needle = f'"{reference(version_id)}"'
    return (await session.scalars(
        select(Job).where(Job.team_id == team_id, cast(Job.config, String).contains(needle)).order_by(Job.created_at)
    )).all()


async def loss_events(*, session: AsyncSession, job_ids: Sequence[uuid.UUID]) -> Sequence[tuple[uuid.UUID, str, dict]]:
    rows = await session.execute(
        select(JobEvent.job_id, JobEvent.type, JobEvent.data)
        .where(JobEvent.job_id.in_(list(job_ids)), JobEvent.type.in_(["metric", "eval"]))
        .order_by(JobEvent.job_id, JobEvent.seq)
    )
    return [(row.job_id, row.type, row.data) for row in rows]


async def count_versions(*, session: AsyncSession, model_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).select_from(ModelVersion).where(ModelVersion.model_id == model_id)) or 0)


async def dataset_versions(*, session: AsyncSession, version_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple]:
    """Dataset versions by id, each with its dataset's name: (DatasetVersion, dataset name)."""
    from tuneforge.datasets.models import Dataset, DatasetVersion

    rows = await session.execute(
        select(DatasetVersion, Dataset.name).join(Dataset, Dataset.id == DatasetVersion.dataset_id)
        .where(DatasetVersion.id.in_(list(version_ids)))
    )
    return {version.id: (version, name) for version, name in rows}


async def user_name(*, session: AsyncSession, user_id: uuid.UUID | None) -> str | None:
    from tuneforge.auth.models import User

    if user_id is None:
        return None
    user = await session.get(User, user_id)
    return user.display_name if user else None
