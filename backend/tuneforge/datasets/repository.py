"""Team-scoped lookups of datasets and their versions, shared by the web dependencies and the services.
Core code: no web framework here. A dataset of another team reads as missing (404)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.datasets.models import Dataset, DatasetVersion
from tuneforge.errors import NotFound

NO_SUCH_DATASET = "No dataset with this id in this team. It may have been deleted."
NO_SUCH_VERSION = "No version with this id in this dataset."


async def get_in_team(*, session: AsyncSession, team_id: uuid.UUID, dataset_id: uuid.UUID) -> Dataset:
    dataset = await session.scalar(select(Dataset).where(Dataset.id == dataset_id, Dataset.team_id == team_id))
    if dataset is None:
        raise NotFound(NO_SUCH_DATASET)
    return dataset


async def get_version(*, session: AsyncSession, dataset_id: uuid.UUID, version_id: uuid.UUID) -> DatasetVersion:
    version = await session.scalar(
        select(DatasetVersion).where(DatasetVersion.id == version_id, DatasetVersion.dataset_id == dataset_id)
    )
    if version is None:
        raise NotFound(NO_SUCH_VERSION)
    return version


async def find_version_in_team(*, session: AsyncSession, team_id: uuid.UUID, version_id: uuid.UUID) -> DatasetVersion | None:
    return await session.scalar(
        select(DatasetVersion).join(Dataset, Dataset.id == DatasetVersion.dataset_id)
        .where(DatasetVersion.id == version_id, Dataset.team_id == team_id)
    )


async def list_in_team(*, session: AsyncSession, team_id: uuid.UUID, include_archived: bool) -> list[Dataset]:
    """Newest first."""
    query = select(Dataset).where(Dataset.team_id == team_id).order_by(Dataset.created_at.desc())
    if not include_archived:
        query = query.where(Dataset.archived.is_(False))
    return list(await session.scalars(query))


async def list_versions(*, session: AsyncSession, dataset_id: uuid.UUID) -> list[DatasetVersion]:
    """Newest first."""
    return list(
        await session.scalars(
            select(DatasetVersion).where(DatasetVersion.dataset_id == dataset_id).order_by(DatasetVersion.number.desc())
        )
    )


async def count_and_latest_version(*, session: AsyncSession, dataset_id: uuid.UUID) -> tuple[int, DatasetVersion | None]:
    count = await session.scalar(select(func.count()).where(DatasetVersion.dataset_id == dataset_id))
    latest = await session.scalar(
        select(DatasetVersion).where(DatasetVersion.dataset_id == dataset_id).order_by(DatasetVersion.number.desc()).limit(1)
    )
    return int(count or 0), latest
