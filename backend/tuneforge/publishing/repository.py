"""Queries on publications. A publication of a team the caller is not in reads as missing (404)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.errors import NotFound
from tuneforge.publishing.models import Publication, PublicationStatus
from tuneforge.teams import repository as teams_repository
from tuneforge.teams.models import Role

NO_SUCH_PUBLICATION = "No such publication, or it belongs to a team you are not in."


async def publication_for_member(
    *, session: AsyncSession, publication_id: uuid.UUID, user_id: uuid.UUID, min_role: Role = Role.viewer
) -> Publication:
    publication = await session.get(Publication, publication_id)
    if publication is None:
        raise NotFound(NO_SUCH_PUBLICATION)
    await teams_repository.require_membership(session=session, user_id=user_id, team_id=publication.team_id,
                                              min_role=min_role, not_found=NO_SUCH_PUBLICATION)
    return publication


async def of_version(*, session: AsyncSession, version_id: uuid.UUID) -> Sequence[Publication]:
    return (await session.scalars(
        select(Publication).where(Publication.version_id == version_id).order_by(Publication.created_at.desc())
    )).all()


async def count_kept(*, session: AsyncSession, version_id: uuid.UUID) -> int:
    """Publications that depend on the version: running, or done with files or a published model."""
    return int(await session.scalar(
        select(func.count()).select_from(Publication).where(
            Publication.version_id == version_id,
            Publication.status.in_([PublicationStatus.queued, PublicationStatus.running, PublicationStatus.succeeded]),
        )
    ) or 0)
