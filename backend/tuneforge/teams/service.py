from __future__ import annotations

import re
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge.auth.models import User
from tuneforge.teams import repository
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


# Team-scoped queries live in the repository; kept importable from here.
list_user_teams = repository.list_user_teams
require_membership = repository.require_membership
