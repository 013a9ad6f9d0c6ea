"""The teams' routes: teams (create, rename, delete, hand over), members (roles, removal, leaving) and
invitations by link. Who may call which is `docs/permissions.md`; the rules are in `service`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Path, Request, Response, status

from tuneforge.teams import service
from tuneforge.teams.models import Membership, Role
from tuneforge.teams.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationRead,
    InvitationView,
    MemberRead,
    MemberUpdate,
    OwnershipTransfer,
    TeamCreate,
    TeamDetail,
    TeamRead,
    TeamUpdate,
)
from tuneforge.web.deps import CurrentUser, SessionDep, SettingsDep, TeamMember
from tuneforge.web.security_headers import no_store

router = APIRouter(tags=["teams"])
# The link's token is a credential: never cached.
invitations_router = APIRouter(tags=["teams"], dependencies=[Depends(no_store)])

Token = Path(min_length=1, max_length=100, description="the token of the invitation link /invitations/<token>")


@router.get("/teams")
async def list_teams(session: SessionDep, user: CurrentUser) -> list[TeamRead]:
    """The caller's teams with their role in each, the personal team first."""
    return await service.list_teams(session=session, user=user)


@router.post("/teams", status_code=status.HTTP_201_CREATED)
async def create_team(data: TeamCreate, session: SessionDep, user: CurrentUser) -> TeamRead:
    """A new shared team; the caller is its owner."""
    return await service.create_shared_team(session=session, user=user, data=data)


@router.get("/teams/{team_id}")
async def get_team(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> TeamDetail:
    """The team, the caller's role in it, and its members with their roles."""
    return await service.team_detail(session=session, membership=membership)


@router.patch("/teams/{team_id}")
async def rename_team(
    team_id: uuid.UUID, data: TeamUpdate, session: SessionDep, membership: Membership = TeamMember(Role.admin)
) -> TeamRead:
    """Rename the team (admin or owner)."""
    return await service.rename_team(session=session, membership=membership, data=data)


@router.delete("/teams/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_team(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.owner)) -> Response:
    """Delete the team and everything in it (owner). Refused for a personal team, and while jobs or
    publications are queued or running (409, saying how many)."""
    await service.delete_team(session=session, membership=membership)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/teams/{team_id}/hand-over")
async def hand_over(
    team_id: uuid.UUID, data: OwnershipTransfer, session: SessionDep, membership: Membership = TeamMember(Role.owner)
) -> TeamDetail:
    """Hand the team over: the chosen member becomes owner, the caller (an owner) becomes admin."""
    return await service.hand_over(session=session, membership=membership, data=data)


@router.get("/teams/{team_id}/members")
async def list_members(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)
) -> list[MemberRead]:
    """The team's members with their roles, in the order they joined."""
    return await service.list_members(session=session, team_id=team_id)


@router.patch("/teams/{team_id}/members/{user_id}")
async def change_role(
    team_id: uuid.UUID, user_id: uuid.UUID, data: MemberUpdate, session: SessionDep,
    membership: Membership = TeamMember(Role.admin),
) -> MemberRead:
    """Change a member's role (admin or owner): never above the caller's own, owners only by an owner,
    and the last owner keeps the role."""
    return await service.change_role(session=session, membership=membership, user_id=user_id, role=data.role)


@router.delete("/teams/{team_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    team_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.admin)
) -> Response:
    """Remove a member (admin or owner; not someone of a higher role, not the last owner). Their open
    live connections to the team close at once."""
    await service.remove_member(session=session, membership=membership, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/teams/{team_id}/leave", status_code=status.HTTP_204_NO_CONTENT)
async def leave_team(team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.viewer)) -> Response:
    """Leave the team. Not your personal team; the last owner hands the team over (or deletes it) first."""
    await service.leave(session=session, membership=membership)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@invitations_router.get("/teams/{team_id}/invitations")
async def list_invitations(
    team_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.admin)
) -> list[InvitationRead]:
    """Invitations not yet accepted, declined or revoked (expired ones too, marked so), newest first."""
    return await service.list_invitations(session=session, team_id=team_id)


@invitations_router.post("/teams/{team_id}/invitations", status_code=status.HTTP_201_CREATED)
async def invite(
    team_id: uuid.UUID, data: InvitationCreate, request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser,
    membership: Membership = TeamMember(Role.admin),
) -> InvitationCreated:
    """Invite someone by email with a role (admins up to admin, owners any). The answer's `link` is shown
    only this once: copy it to the invitee. Inviting the same address again replaces the old link. With a
    mail server set up the link is mailed too; a failed mail loses nothing (the answer says why, and the
    link is still there to copy)."""
    created = await service.invite(session=session, membership=membership, inviter=user, data=data)
    if settings.smtp_url is not None:
        created = await service.mail_invitation(
            session=session, settings=settings, created=created, team_id=team_id, inviter=user,
            base_url=settings.public_url or str(request.base_url),
        )
    return created


@invitations_router.delete("/teams/{team_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(
    team_id: uuid.UUID, invitation_id: uuid.UUID, session: SessionDep, membership: Membership = TeamMember(Role.admin)
) -> Response:
    """Withdraw a pending invitation: its link stops working."""
    await service.revoke_invitation(session=session, team_id=team_id, invitation_id=invitation_id, membership=membership)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@invitations_router.get("/invitations/{token}")
async def view_invitation(session: SessionDep, user: CurrentUser, token: str = Token) -> InvitationView:
    """What an invitation link offers (team, inviter, role, expiry) and whether the signed-in account can
    accept it; expired, used, declined or withdrawn links say so in plain words."""
    return await service.view_invitation(session=session, token=token, user=user)


@invitations_router.post("/invitations/{token}/accept")
async def accept_invitation(session: SessionDep, user: CurrentUser, token: str = Token) -> TeamRead:
    """Join the team with the invitation's role. Only the invited email's account; each link works once."""
    return await service.accept_invitation(session=session, token=token, user=user)


@invitations_router.post("/invitations/{token}/decline")
async def decline_invitation(session: SessionDep, user: CurrentUser, token: str = Token) -> InvitationView:
    """Decline the invitation: the link stops working."""
    return await service.decline_invitation(session=session, token=token, user=user)
