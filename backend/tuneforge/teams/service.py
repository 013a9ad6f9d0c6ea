"""Teams and their members: create, rename, delete, hand over; roles, removal, leaving; invitations by link.
Rules only: queries are in `repository`, and nothing here commits (the request does)."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge import mail
from tuneforge.audit import service as audit
from tuneforge.auth import revocation
from tuneforge.auth.models import User
from tuneforge.config import Settings
from tuneforge.db import utcnow
from tuneforge.errors import BadRequest, Conflict, Forbidden, NotFound
from tuneforge.teams import repository
from tuneforge.teams.models import Invitation, Membership, Role, Team
from tuneforge.teams.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationRead,
    InvitationStatus,
    InvitationView,
    MemberRead,
    OwnershipTransfer,
    TeamCreate,
    TeamDetail,
    TeamRead,
    TeamUpdate,
)


async def _audit(session: AsyncSession, membership: Membership, action: str, **fields) -> None:
    """An event of the membership's team, by its user (already in the session: no query)."""
    await audit.record(session, action=action, actor=await session.get(User, membership.user_id),
                       team_id=membership.team_id, **fields)


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


# -- shared teams: create, rename, delete, hand over --------------------------------------------


def team_read(team: Team, role: Role) -> TeamRead:
    return TeamRead(id=team.id, name=team.name, slug=team.slug, personal=team.personal, created_at=team.created_at, role=role)


def _member_read(membership: Membership, user: User) -> MemberRead:
    return MemberRead(user_id=user.id, email=user.email, display_name=user.display_name, role=membership.role,
                      joined_at=membership.created_at)


async def list_teams(*, session: AsyncSession, user: User) -> list[TeamRead]:
    return [team_read(team, role) for team, role in await repository.list_user_teams(session=session, user_id=user.id)]


async def list_members(*, session: AsyncSession, team_id: uuid.UUID) -> list[MemberRead]:
    return [_member_read(m, u) for m, u in await repository.list_members(session=session, team_id=team_id)]


async def team_detail(*, session: AsyncSession, membership: Membership) -> TeamDetail:
    team = await repository.get_team(session=session, team_id=membership.team_id)
    if team is None:
        raise NotFound(repository.NOT_A_MEMBER)
    members = await list_members(session=session, team_id=team.id)
    return TeamDetail(**team_read(team, membership.role).model_dump(), members=members)


async def create_shared_team(*, session: AsyncSession, user: User, data: TeamCreate) -> TeamRead:
    team = await create_team(session=session, name=data.name, owner=user)
    await audit.record(session, action="team.created", actor=user, team_id=team.id, target_type="team",
                       target_id=team.id, target_label=team.name)
    return team_read(team, Role.owner)


async def rename_team(*, session: AsyncSession, membership: Membership, data: TeamUpdate) -> TeamRead:
    team = await repository.lock_team(session=session, team_id=membership.team_id)
    previous = team.name
    team.name = data.name
    await session.flush()
    await _audit(session, membership, "team.renamed", target_type="team", target_id=team.id, target_label=team.name,
                 detail={"from": previous, "to": team.name})
    return team_read(team, membership.role)


async def delete_team(*, session: AsyncSession, membership: Membership) -> None:
    """Owner only (the route's dependency). The personal team stays; a team with work in progress waits."""
    team = await repository.lock_team(session=session, team_id=membership.team_id)
    if team.personal:
        raise Conflict(
            "This is a personal team: it belongs to your account and cannot be deleted. "
            "Delete datasets, jobs and models in it one by one instead."
        )
    jobs, publications = await repository.count_active_work(session=session, team_id=team.id)
    if jobs or publications:
        busy = []
        if jobs:
            busy.append(f"{jobs} job{'s' if jobs != 1 else ''} queued or running")
        if publications:
            busy.append(f"{publications} publication{'s' if publications != 1 else ''} in progress")
        raise Conflict(
            f"The team still has {' and '.join(busy)}. Cancel them on the Training page (or wait until they "
            "finish), then delete the team."
        )
    members = await repository.member_user_ids(session=session, team_id=team.id)
    for user_id in members:
        await revocation.notify_membership_ended(session=session, user_id=user_id, team_id=team.id)
    # Its team_id becomes NULL with the team (ON DELETE SET NULL); the actor still finds it in their own log.
    await _audit(session, membership, "team.deleted", target_type="team", target_id=team.id, target_label=team.name,
                 detail={"members": len(members)})
    await repository.delete_team(session=session, team=team)


async def hand_over(*, session: AsyncSession, membership: Membership, data: OwnershipTransfer) -> TeamDetail:
    """The owner makes another member owner and becomes an admin."""
    team = await repository.lock_team(session=session, team_id=membership.team_id)
    if team.personal:
        raise Conflict(
            "A personal team stays with its account and cannot be handed over. Create a team to share work, "
            "and hand that one over instead."
        )
    if data.user_id == membership.user_id:
        raise BadRequest("You already own this team: choose another member to hand it over to.")
    target = await repository.get_member(session=session, team_id=team.id, user_id=data.user_id)
    if target is None:
        raise NotFound("That person is not a member of this team. Invite them first, then hand the team over.")
    target[0].role = Role.owner
    membership.role = Role.admin
    await session.flush()
    await _audit(session, membership, "team.handed_over", target_type="user", target_id=target[1].id,
                 target_label=target[1].email, detail={"new_owner": target[1].email})
    return await team_detail(session=session, membership=membership)


# -- members: change role, remove, leave ---------------------------------------------------------

LAST_OWNER = (
    "{who} the team's only owner, so the team would have no owner. Make another member owner first "
    "(or hand the team over), then try again."
)


async def change_role(
    *, session: AsyncSession, membership: Membership, user_id: uuid.UUID, role: Role
) -> MemberRead:
    team = await repository.lock_team(session=session, team_id=membership.team_id)
    found = await repository.get_member(session=session, team_id=team.id, user_id=user_id)
    if found is None:
        raise NotFound("No such member in this team: they may have left or been removed. Reload the member list.")
    target, user = found
    mine = membership.role
    if role == Role.owner and mine != Role.owner:
        raise Forbidden("Only an owner can make someone an owner. Ask a team owner.")
    if role.rank > mine.rank:
        raise Forbidden(f"You can give roles up to your own ({mine.value}); ask a team owner for {role.value}.")
    if target.role.rank > mine.rank:
        raise Forbidden(
            f"{user.display_name} is an {target.role.value}, above your role ({mine.value}); ask a team owner."
        )
    if target.role == Role.owner and role != Role.owner and await repository.count_owners(session=session, team_id=team.id) <= 1:
        who = "You are" if target.user_id == membership.user_id else f"{user.display_name} is"
        raise Conflict(LAST_OWNER.format(who=who))
    previous = target.role
    target.role = role
    await session.flush()
    if previous != role:
        await _audit(session, membership, "member.role_changed", target_type="user", target_id=user.id,
                     target_label=user.email, detail={"from": previous.value, "to": role.value})
    return _member_read(target, user)


async def remove_member(*, session: AsyncSession, membership: Membership, user_id: uuid.UUID) -> None:
    team = await repository.lock_team(session=session, team_id=membership.team_id)
    found = await repository.get_member(session=session, team_id=team.id, user_id=user_id)
    if found is None:
        raise NotFound("No such member in this team: they may have left or been removed. Reload the member list.")
    target, user = found
    if target.user_id == membership.user_id:
        return await leave(session=session, membership=membership)
    if target.role.rank > membership.role.rank:
        raise Forbidden(
            f"{user.display_name} is an {target.role.value}, above your role ({membership.role.value}); "
            "ask a team owner."
        )
    if target.role == Role.owner and await repository.count_owners(session=session, team_id=team.id) <= 1:
        raise Conflict(LAST_OWNER.format(who=f"{user.display_name} is"))
    await repository.delete_membership(session=session, membership=target)
    await revocation.notify_membership_ended(session=session, user_id=target.user_id, team_id=team.id)
    await _audit(session, membership, "member.removed", target_type="user", target_id=user.id, target_label=user.email,
                 detail={"role": target.role.value})


async def leave(*, session: AsyncSession, membership: Membership) -> None:
    team = await repository.lock_team(session=session, team_id=membership.team_id)
    if team.personal and membership.role == Role.owner:
        raise Conflict("This is your personal team: it stays with your account, so you cannot leave it.")
    if membership.role == Role.owner and await repository.count_owners(session=session, team_id=team.id) <= 1:
        raise Conflict(
            "You are the team's only owner. Hand the team over to another member first (or delete the team), "
            "then leave."
        )
    await repository.delete_membership(session=session, membership=membership)
    await revocation.notify_membership_ended(session=session, user_id=membership.user_id, team_id=team.id)
    await _audit(session, membership, "member.left", target_type="user", target_id=membership.user_id,
                 detail={"role": membership.role.value})


# -- invitations --------------------------------------------------------------------------------

INVITATION_LINK = "/invitations/{token}"
BAD_LINK = (
    "This invitation link is not valid: check that you copied all of it, or ask the person who invited you "
    "for a new one."
)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _status(invitation: Invitation, now: datetime | None = None) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.declined_at is not None:
        return "declined"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= (now or utcnow()):
        return "expired"
    return "pending"


def _invitation_read(invitation: Invitation, inviter: User | None) -> InvitationRead:
    return InvitationRead(
        id=invitation.id, email=invitation.email, role=invitation.role, status=_status(invitation),
        invited_by=inviter.display_name if inviter else None, created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


async def list_invitations(*, session: AsyncSession, team_id: uuid.UUID) -> list[InvitationRead]:
    return [_invitation_read(i, u) for i, u in await repository.list_open_invitations(session=session, team_id=team_id)]


async def invite(
    *, session: AsyncSession, membership: Membership, inviter: User, data: InvitationCreate
) -> InvitationCreated:
    """A new link for `data.email`. An open invitation to the same address is revoked (inviting again sends
    a fresh link)."""
    if data.role == Role.owner and membership.role != Role.owner:
        raise Forbidden("Only an owner can invite owners. Invite them as an admin, or ask a team owner.")
    if data.role.rank > membership.role.rank:
        raise Forbidden(f"You can invite with roles up to your own ({membership.role.value}).")
    existing = await repository.find_user_by_email(session=session, email=data.email)
    if existing is not None and await repository.get_membership(
        session=session, user_id=existing.id, team_id=membership.team_id
    ):
        raise Conflict(f"{data.email} is already a member of this team. Change their role on the Team page instead.")
    now = utcnow()
    for previous in await repository.open_invitations_for_email(session=session, team_id=membership.team_id, email=data.email):
        previous.revoked_at = now
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        team_id=membership.team_id, email=data.email, role=data.role, token_hash=_hash_token(token),
        invited_by=inviter.id, expires_at=now + timedelta(days=data.expires_in_days), created_at=now,
    )
    session.add(invitation)
    await session.flush()
    await audit.record(session, action="invitation.created", actor=inviter, team_id=membership.team_id,
                       target_type="invitation", target_id=invitation.id, target_label=invitation.email,
                       detail={"role": invitation.role.value, "expires_at": invitation.expires_at.isoformat()})
    return InvitationCreated(**_invitation_read(invitation, inviter).model_dump(), link=INVITATION_LINK.format(token=token))


async def mail_invitation(
    *, session: AsyncSession, settings: Settings, created: InvitationCreated, team_id: uuid.UUID, inviter: User,
    base_url: str,
) -> InvitationCreated:
    """Mails the new link to the invitee (TUNEFORGE_SMTP_URL). The answer says whether it went; the link is
    in it either way, so nothing is lost when the mail server is down."""
    team = await session.get(Team, team_id)
    link = base_url.rstrip("/") + created.link
    expires = created.expires_at.strftime("%d %B %Y, %H:%M UTC")
    problem = await mail.send(
        settings, to=created.email, subject=f"{inviter.display_name} invited you to {team.name} on TuneForge",
        body=(
            f"{inviter.display_name} ({inviter.email}) invited you to join the team {team.name} on TuneForge "
            f"as {created.role.value}.\n\nOpen this link, signed in with this address ({created.email}), to accept "
            f"or decline:\n\n{link}\n\nThe link works once and until {expires}. If you did not expect this, "
            "ignore this mail.\n"
        ),
    )
    await audit.record(session, action="invitation.mailed", actor=inviter, team_id=team_id, target_type="invitation",
                       target_id=created.id, target_label=created.email,
                       outcome="success" if problem is None else "failure", detail={"problem": problem} if problem else None)
    return created.model_copy(update={"emailed": problem is None, "email_problem": problem})


async def revoke_invitation(
    *, session: AsyncSession, team_id: uuid.UUID, invitation_id: uuid.UUID, membership: Membership | None = None
) -> None:
    """`membership`: the revoking admin's, for the audit log."""
    invitation = await repository.get_invitation(session=session, team_id=team_id, invitation_id=invitation_id)
    if invitation is None:
        raise NotFound("No such invitation in this team. Reload the list of pending invitations.")
    status = _status(invitation)
    if status in ("accepted", "declined"):
        raise Conflict(f"This invitation was already {status}; there is nothing to revoke. Remove the member instead.")
    if status == "revoked":
        return  # revoking twice is harmless
    invitation.revoked_at = utcnow()
    await session.flush()
    if membership is not None:
        await _audit(session, membership, "invitation.revoked", target_type="invitation", target_id=invitation.id,
                     target_label=invitation.email)


_MESSAGES: dict[str, str] = {
    "expired": "This invitation has expired. Ask {inviter} for a new one.",
    "accepted": "This invitation has already been used: each link works once. If it was not you, ask {inviter} for a new one.",
    "declined": "This invitation was declined. Ask {inviter} for a new one if you changed your mind.",
    "revoked": "This invitation was withdrawn by the team. Ask {inviter} if you think that was a mistake.",
}


async def _load(session: AsyncSession, token: str, *, for_update: bool = False) -> Invitation:
    invitation = await repository.get_invitation_by_token_hash(
        session=session, token_hash=_hash_token(token), for_update=for_update
    )
    if invitation is None:
        raise NotFound(BAD_LINK)
    return invitation


async def _view(session: AsyncSession, invitation: Invitation, user: User) -> InvitationView:
    team = await repository.get_team(session=session, team_id=invitation.team_id)
    if team is None:
        raise NotFound(BAD_LINK)
    inviter = await repository.get_user(session=session, user_id=invitation.invited_by)
    inviter_name = inviter.display_name if inviter else None
    status = _status(invitation)
    for_you = user.email.lower() == invitation.email.lower()
    member = await repository.get_membership(session=session, user_id=user.id, team_id=team.id) is not None
    if status != "pending":
        message = _MESSAGES[status].format(inviter=inviter_name or "the team's owner or an admin")
    elif member:
        message = f"You are already a member of {team.name}."
    elif not for_you:
        message = (
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}. "
            f"Sign out and sign in (or create an account) with {invitation.email} to accept it."
        )
    else:
        message = f"{inviter_name or 'Someone'} invited you to join {team.name} as {invitation.role.value}."
    return InvitationView(
        team_id=team.id, team_name=team.name, email=invitation.email, role=invitation.role, invited_by=inviter_name,
        expires_at=invitation.expires_at, status=status, for_you=for_you, already_member=member,
        can_accept=status == "pending" and for_you and not member, message=message,
    )


async def view_invitation(*, session: AsyncSession, token: str, user: User) -> InvitationView:
    return await _view(session, await _load(session, token), user)


async def _refuse_unless_open(session: AsyncSession, invitation: Invitation, user: User) -> None:
    view = await _view(session, invitation, user)
    if view.status == "pending" and view.for_you and not view.already_member:
        return
    if view.status == "pending" and not view.for_you:
        raise Forbidden(view.message)
    raise Conflict(view.message)


async def accept_invitation(*, session: AsyncSession, token: str, user: User) -> TeamRead:
    """The signed-in user whose email is the invited one joins with the invitation's role; the link is used up."""
    invitation = await _load(session, token, for_update=True)
    await _refuse_unless_open(session, invitation, user)
    invitation.accepted_at = utcnow()
    invitation.accepted_by = user.id
    session.add(Membership(team_id=invitation.team_id, user_id=user.id, role=invitation.role))
    await session.flush()
    await audit.record(session, action="invitation.accepted", actor=user, team_id=invitation.team_id,
                       target_type="invitation", target_id=invitation.id, target_label=invitation.email,
                       detail={"role": invitation.role.value})
    team = await repository.get_team(session=session, team_id=invitation.team_id)
    assert team is not None
    return team_read(team, invitation.role)


async def decline_invitation(*, session: AsyncSession, token: str, user: User) -> InvitationView:
    invitation = await _load(session, token, for_update=True)
    await _refuse_unless_open(session, invitation, user)
    invitation.declined_at = utcnow()
    await session.flush()
    await audit.record(session, action="invitation.declined", actor=user, team_id=invitation.team_id,
                       target_type="invitation", target_id=invitation.id, target_label=invitation.email)
    return await _view(session, invitation, user)
