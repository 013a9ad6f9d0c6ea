"""Accounts behind single sign-on: which TuneForge account an identity of the provider signs in to (linked,
linked now by a verified email, or created), the one-time code that hands the sign-in to the SPA, and a
team's SSO-only setting. The protocol itself is `tuneforge.auth.oidc`. Flushes, never commits."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge import security
from tuneforge.audit import service as audit
from tuneforge.auth import service as auth_service
from tuneforge.auth.models import SsoLoginCode, User, UserIdentity
from tuneforge.auth.oidc import Identity, SsoError
from tuneforge.auth.schemas import TokenPair
from tuneforge.config import Settings
from tuneforge.errors import BadRequest, Conflict, Unauthorized
from tuneforge.teams import repository as teams_repository
from tuneforge.teams import service as teams_service
from tuneforge.teams.models import Membership

LOGIN_CODE_SECONDS = 60
LOGIN_CODE_INVALID = "This sign-in link was already used or has expired. Sign in again."


async def account_for(*, session: AsyncSession, settings: Settings, identity: Identity) -> User:
    """The account this identity signs in to: the one it is linked to; else the account with its email, linked
    now, but only if the provider verified that email (an unverified one could be anybody's); else a new
    account with its personal team, as registering makes, and no password anyone knows."""
    linked = await session.scalar(
        select(User).join(UserIdentity, UserIdentity.user_id == User.id).where(
            UserIdentity.issuer == identity.issuer, UserIdentity.subject == identity.subject
        )
    )
    if linked is not None:
        if not linked.is_active:
            raise SsoError("This account is disabled. Ask your TuneForge administrator.", reason="account_disabled")
        return linked
    if identity.email is None:
        raise SsoError(
            f"{settings.oidc_name} did not share an email address for your account, and TuneForge needs one. Ask "
            "your administrator to allow the `email` scope for TuneForge, then start again.",
            reason="no_email",
        )
    existing = await session.scalar(select(User).where(User.email == identity.email))
    if existing is not None:
        if not identity.email_verified:
            raise SsoError(
                f"An account with the email {identity.email} already exists, and {settings.oidc_name} has not "
                "verified that this address is yours, so the two were not linked. Sign in with your password, "
                f"or verify the address at {settings.oidc_name} and start again.",
                reason="unverified_email_collision",
            )
        if not existing.is_active:
            raise SsoError("This account is disabled. Ask your TuneForge administrator.", reason="account_disabled")
        await _link(session=session, user=existing, identity=identity)
        return existing
    user = User(
        email=identity.email,
        display_name=identity.name or identity.email.split("@", 1)[0],
        # Signs in with SSO only: a random password nobody is told, so the password form never matches.
        password_hash=security.hash_password(secrets.token_urlsafe(32)),
    )
    session.add(user)
    await session.flush()
    await teams_service.create_personal_team(session=session, user=user)
    await audit.record(session, action="auth.registered", actor=user, via=security.VIA_SSO, target_type="user",
                       target_id=user.id, target_label=user.email)
    await _link(session=session, user=user, identity=identity)
    return user


async def _link(*, session: AsyncSession, user: User, identity: Identity) -> None:
    session.add(UserIdentity(user_id=user.id, issuer=identity.issuer, subject=identity.subject, email=identity.email))
    await session.flush()
    await audit.record(session, action="auth.sso_linked", actor=user, via=security.VIA_SSO, target_type="user",
                       target_id=user.id, target_label=user.email,
                       detail={"issuer": identity.issuer, "subject": identity.subject})


async def sign_in(*, session: AsyncSession, settings: Settings, identity: Identity) -> str:
    """Signs the identity in and returns the one-time code the SPA exchanges for its tokens (within a minute)."""
    user = await account_for(session=session, settings=settings, identity=identity)
    await audit.record(session, action="auth.sign_in", actor=user, via=security.VIA_SSO, target_type="user",
                       target_id=user.id, target_label=user.email, detail={"issuer": identity.issuer})
    code = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await session.execute(delete(SsoLoginCode).where(SsoLoginCode.expires_at < now - timedelta(hours=1)))
    session.add(SsoLoginCode(code_hash=_hash(code), user_id=user.id, expires_at=now + timedelta(seconds=LOGIN_CODE_SECONDS)))
    await session.flush()
    return code


async def record_failure(*, error: SsoError, email: str | None = None) -> None:
    await audit.record_detached(action="auth.sign_in", actor_email=email, outcome="failure", via=security.VIA_SSO,
                                target_type="user", target_label=email, detail={"reason": error.reason})


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def exchange(*, session: AsyncSession, settings: Settings, code: str, user_agent: str | None) -> TokenPair:
    """The SSO sign-in's token pair, once per code (a second exchange of the same code is refused)."""
    now = datetime.now(UTC)
    user_id = await session.scalar(
        update(SsoLoginCode)
        .where(SsoLoginCode.code_hash == _hash(code), SsoLoginCode.used_at.is_(None), SsoLoginCode.expires_at > now)
        .values(used_at=now)
        .returning(SsoLoginCode.user_id)
    )
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise Unauthorized(LOGIN_CODE_INVALID)
    return await auth_service._issue_tokens(  # noqa: SLF001 — the one way a session starts, as register and login
        session=session, settings=settings, user=user, user_agent=user_agent, via=security.VIA_SSO
    )


# -- a team's SSO-only setting ------------------------------------------------------------------------


async def team_sso_only(*, session: AsyncSession, team_id: uuid.UUID) -> bool:
    return await teams_repository.team_is_sso_only(session=session, team_id=team_id)


async def set_team_sso_only(
    *, session: AsyncSession, settings: Settings, membership: Membership, actor: User, caller_via: str, enabled: bool
) -> bool:
    """Turns the team's SSO-only setting on or off (owners and admins; the route checks the role). On only
    when SSO is set up and from an SSO session: a password session would lock itself out at once."""
    team = await teams_repository.lock_team(session=session, team_id=membership.team_id)
    if team.sso_only == enabled:
        return enabled
    if enabled and not settings.oidc_enabled:
        raise Conflict(
            "Single sign-on is not set up on this TuneForge, so a team cannot require it. Ask your administrator "
            "to set TUNEFORGE_OIDC_DISCOVERY_URL and TUNEFORGE_OIDC_CLIENT_ID first."
        )
    if enabled and caller_via != security.VIA_SSO:
        raise BadRequest(
            f"Sign in with {settings.oidc_name} before requiring it: this session signed in with a password and "
            "would be locked out of the team at once."
        )
    team.sso_only = enabled
    await session.flush()
    await audit.record(session, action="team.sso_only_changed", actor=actor, team_id=team.id, target_type="team",
                       target_id=team.id, target_label=team.name, detail={"sso_only": enabled})
    return enabled
