from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import User
from tuneforge.errors import Forbidden, NotFound
from tuneforge.teams.models import Membership, Role, Team


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "team"


async def create_team(*, session: AsyncSession, name: str, owner: User, personal: bool = False) -> Team:
    team = Team(name=name, slug=f"{_slugify(name)}-{secrets.token_hex(3)}", personal=personal)
    session.add(team)
    await session.flush()
    session.add(Membership(team_id=team.id, user_id=owner.id, role=Role.owner))
    await session.flush()
    return team


async def create_personal_team(*, session: AsyncSession, user: User) -> Team:
    return await create_team(session=session, name=f"{user.display_name}'s team", owner=user, personal=True)


async def list_user_teams(*, session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Team, Role]]:
    rows = await session.execute(
        select(Team, Membership.role)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user_id)
        .order_by(Team.personal.desc(), Team.name)
    )
    return [(team, role) for team, role in rows.all()]


async def require_membership(
    *, session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID, min_role: Role = Role.viewer
) -> Membership:
    """Load the caller's membership or refuse. Non-members get 404 so ids of other teams leak nothing."""
    membership = await session.scalar(
        select(Membership).where(Membership.team_id == team_id, Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound("No such team, or you are not a member of it.")
    if membership.role.rank < min_role.rank:
        raise Forbidden(
            f"This needs the {min_role.value} role in this team; you are a {membership.role.value}. "
            "Ask a team owner or admin."
        )
    return membership
