"""Team-scoped queries shared by the web dependencies, WebSockets and services: who is in which team, with
what role. Core code: no web framework here."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.errors import Forbidden, NotFound
from tuneforge.teams.models import Membership, Role, Team

NOT_A_MEMBER = "No such team, or you are not a member of it."


async def list_user_teams(*, session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Team, Role]]:
    rows = await session.execute(
        select(Team, Membership.role)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user_id)
        .order_by(Team.personal.desc(), Team.name)
    )
    return [(team, role) for team, role in rows.all()]


async def get_membership(*, session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID) -> Membership | None:
    return await session.scalar(select(Membership).where(Membership.team_id == team_id, Membership.user_id == user_id))


async def require_membership(
    *, session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID, min_role: Role = Role.viewer,
    not_found: str = NOT_A_MEMBER,
) -> Membership:
    """Load the caller's membership or refuse. Non-members get 404 (with `not_found`, e.g. "No such model
    version, or it belongs to a team you are not in.") so ids of other teams leak nothing."""
    membership = await get_membership(session=session, user_id=user_id, team_id=team_id)
    if membership is None:
        raise NotFound(not_found)
    if membership.role.rank < min_role.rank:
        raise Forbidden(
            f"This needs the {min_role.value} role in this team; you are a {membership.role.value}. "
            "Ask a team owner or admin."
        )
    return membership
