"""Team-scoped queries shared by the web dependencies, WebSockets and services: who is in which team, with
what role. Core code: no web framework here."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge import security
from tuneforge.auth import sign_in
from tuneforge.auth.models import User
from tuneforge.config import get_settings
from tuneforge.errors import Forbidden, NotFound
from tuneforge.teams.models import Invitation, Membership, Role, Team

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
    version, or it belongs to a team you are not in.") so ids of other teams leak nothing. A member of an
    SSO-only team signed in otherwise (password, API token: `tuneforge.auth.sign_in`) gets 403."""
    membership = await get_membership(session=session, user_id=user_id, team_id=team_id)
    if membership is None:
        raise NotFound(not_found)
    via = sign_in.via_of(session)
    if via is not None and via != security.VIA_SSO and await team_is_sso_only(session=session, team_id=team_id):
        raise Forbidden(sso_required_message(via))
    if membership.role.rank < min_role.rank:
        raise Forbidden(
            f"This needs the {min_role.value} role in this team; you are a {membership.role.value}. "
            "Ask a team owner or admin."
        )
    return membership


async def team_is_sso_only(*, session: AsyncSession, team_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(Team.sso_only).where(Team.id == team_id)))


def sso_required_message(via: str) -> str:
    label = get_settings().oidc_name
    if via == security.VIA_TOKEN:
        return (
            f"This team requires single sign-on, and API tokens cannot reach it. Sign in with {label} "
            "and use the web app instead."
        )
    return f"This team requires single sign-on. Sign out and sign in with {label}."


# -- teams, members, invitations (tuneforge.teams.service) ---------------------------------------


async def lock_team(*, session: AsyncSession, team_id: uuid.UUID) -> Team:
    """The team row, locked until the transaction ends: changes to its owners (demote, remove, leave,
    hand over) take it first, so two of them can never leave a team without an owner."""
    team = await session.scalar(select(Team).where(Team.id == team_id).with_for_update())
    if team is None:
        raise NotFound(NOT_A_MEMBER)
    return team


async def get_team(*, session: AsyncSession, team_id: uuid.UUID) -> Team | None:
    return await session.get(Team, team_id)


async def list_members(*, session: AsyncSession, team_id: uuid.UUID) -> list[tuple[Membership, User]]:
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.team_id == team_id)
        .order_by(Membership.created_at, User.email)
    )
    return [(membership, user) for membership, user in rows.all()]


async def get_member(
    *, session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Membership, User] | None:
    row = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.team_id == team_id, Membership.user_id == user_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def count_owners(*, session: AsyncSession, team_id: uuid.UUID) -> int:
    return await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.team_id == team_id, Membership.role == Role.owner)
    ) or 0


async def member_user_ids(*, session: AsyncSession, team_id: uuid.UUID) -> list[uuid.UUID]:
    return list(await session.scalars(select(Membership.user_id).where(Membership.team_id == team_id)))


async def count_active_work(*, session: AsyncSession, team_id: uuid.UUID) -> tuple[int, int]:
    """(jobs not finished, publications not finished) of the team: a team with either is not deleted."""
    from tuneforge.jobs.models import Job, JobStatus
    from tuneforge.publishing.models import Publication, PublicationStatus

    active_jobs = [status for status in JobStatus if status.active]
    jobs = await session.scalar(
        select(func.count()).select_from(Job).where(Job.team_id == team_id, Job.status.in_(active_jobs))
    )
    publications = await session.scalar(
        select(func.count()).select_from(Publication).where(
            Publication.team_id == team_id,
            Publication.status.in_([PublicationStatus.queued, PublicationStatus.running]),
        )
    )
    return jobs or 0, publications or 0


async def delete_team(*, session: AsyncSession, team: Team) -> None:
    await session.delete(team)
    await session.flush()


async def delete_membership(*, session: AsyncSession, membership: Membership) -> None:
    await session.delete(membership)
    await session.flush()


async def get_user(*, session: AsyncSession, user_id: uuid.UUID | None) -> User | None:
    return await session.get(User, user_id) if user_id is not None else None


async def find_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def list_open_invitations(*, session: AsyncSession, team_id: uuid.UUID) -> list[tuple[Invitation, User | None]]:
    """Invitations neither accepted, declined nor revoked (expired ones included), newest first."""
    rows = await session.execute(
        select(Invitation, User)
        .outerjoin(User, User.id == Invitation.invited_by)
        .where(
            Invitation.team_id == team_id,
            Invitation.accepted_at.is_(None),
            Invitation.declined_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.created_at.desc())
    )
    return [(invitation, inviter) for invitation, inviter in rows.all()]


async def open_invitations_for_email(*, session: AsyncSession, team_id: uuid.UUID, email: str) -> list[Invitation]:
    return list(
        await session.scalars(
            select(Invitation).where(
                Invitation.team_id == team_id,
                func.lower(Invitation.email) == email.lower(),
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        )
    )


async def get_invitation(*, session: AsyncSession, team_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation | None:
    return await session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.team_id == team_id).with_for_update()
    )


async def get_invitation_by_token_hash(
    *, session: AsyncSession, token_hash: str, for_update: bool = False
) -> Invitation | None:
    statement = select(Invitation).where(Invitation.token_hash == token_hash)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)
