"""A team's quotas: every member sees the meters; admins and owners change the limits."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from tuneforge.quotas import service
from tuneforge.quotas.schemas import QuotasRead, QuotasUpdate
from tuneforge.teams.models import Membership, Role
from tuneforge.web.deps import CurrentUser, SessionDep, TeamMember

router = APIRouter(tags=["quotas"])


@router.get("/teams/{team_id}/quotas")
async def get_quotas(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> QuotasRead:
    """Each limit (null: unlimited) with the team's current use, and who can raise them."""
    return await service.read(session=session, membership=membership)


@router.put("/teams/{team_id}/quotas")
async def set_quotas(
    team_id: uuid.UUID, data: QuotasUpdate, session: SessionDep, user: CurrentUser,
    membership: Membership = TeamMember(Role.admin),
) -> QuotasRead:
    """Set every limit at once; null means unlimited (admin). Audited as `quota.changed` with old and new values."""
    return await service.update(session=session, membership=membership, actor=user, data=data)
