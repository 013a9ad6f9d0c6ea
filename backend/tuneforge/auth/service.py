from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge import security
from tuneforge.auth.models import RefreshToken, User
from tuneforge.auth.schemas import LoginIn, MeUpdate, PasswordChangeIn, RegisterIn, TeamSummary, TokenPair, UserRead
from tuneforge.config import Settings
from tuneforge.errors import BadRequest, Conflict, Unauthorized
from tuneforge.teams import service as teams_service

WRONG_CREDENTIALS = "Incorrect email or password."


async def user_read(*, session: AsyncSession, user: User) -> UserRead:
    teams = await teams_service.list_user_teams(session=session, user_id=user.id)
    return UserRead(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        created_at=user.created_at,
        teams=[
            TeamSummary(id=t.id, name=t.name, slug=t.slug, role=role, personal=t.personal) for t, role in teams
        ],
    )


async def _issue_tokens(
    *,
    session: AsyncSession,
    settings: Settings,
    user: User,
    family_id: uuid.UUID | None = None,
    generation: int = 0,
    user_agent: str | None = None,
) -> TokenPair:
    family_id = family_id or uuid.uuid4()
    refresh = security.new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_hash=security.hash_refresh_token(refresh),
            generation=generation,
            expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    await session.flush()
    access, expires_in = security.create_access_token(settings=settings, user_id=user.id, session_id=family_id)
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=expires_in,
        user=await user_read(session=session, user=user),
    )


async def _email_taken(*, session: AsyncSession, email: str, except_user: uuid.UUID | None = None) -> bool:
    query = select(User.id).where(User.email == email)
    if except_user is not None:
        query = query.where(User.id != except_user)
    return (await session.scalar(query)) is not None


async def register(
    *, session: AsyncSession, settings: Settings, data: RegisterIn, user_agent: str | None = None
) -> TokenPair:
    if await _email_taken(session=session, email=data.email):
        raise Conflict("An account with this email already exists. Sign in instead, or use another email.")
    user = User(
        email=data.email,
        display_name=data.display_name or data.email.split("@", 1)[0],
        password_hash=security.hash_password(data.password),
    )
    session.add(user)
    await session.flush()
    await teams_service.create_personal_team(session=session, user=user)
    return await _issue_tokens(session=session, settings=settings, user=user, user_agent=user_agent)


async def login(*, session: AsyncSession, settings: Settings, data: LoginIn, user_agent: str | None = None) -> TokenPair:
    user = await session.scalar(select(User).where(User.email == data.email))
    if user is None:
        security.verify_password(data.password, security.DUMMY_PASSWORD_HASH)
        raise Unauthorized(WRONG_CREDENTIALS)
    if not security.verify_password(data.password, user.password_hash):
        raise Unauthorized(WRONG_CREDENTIALS)
    if not user.is_active:
        raise Unauthorized("This account is disabled. Ask your TuneForge administrator.")
    return await _issue_tokens(session=session, settings=settings, user=user, user_agent=user_agent)


async def _revoke_family(*, session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def refresh(*, session: AsyncSession, settings: Settings, token: str, user_agent: str | None = None) -> TokenPair:
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == security.hash_refresh_token(token)).with_for_update()
    )
    if stored is None:
        raise Unauthorized("This session is not valid. Sign in again.")
    if stored.revoked_at is not None:
        raise Unauthorized("This session was ended. Sign in again.")
    if stored.used_at is not None:
        # A rotated token came back: someone holds a copy. End the whole session for both holders.
        await _revoke_family(session=session, family_id=stored.family_id)
        raise Unauthorized(
            "This sign-in was already refreshed elsewhere, so the session was ended for safety. Sign in again.",
            commit_session=True,
        )
    if stored.expires_at <= datetime.now(UTC):
        raise Unauthorized("Your session has expired. Sign in again.")
    user = await session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("This session is not valid. Sign in again.")
    stored.used_at = datetime.now(UTC)
    return await _issue_tokens(
        session=session,
        settings=settings,
        user=user,
        family_id=stored.family_id,
        generation=stored.generation + 1,
        user_agent=user_agent,
    )


async def logout(*, session: AsyncSession, token: str) -> None:
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == security.hash_refresh_token(token))
    )
    if stored is not None:
        await _revoke_family(session=session, family_id=stored.family_id)


async def session_is_active(*, session: AsyncSession, family_id: uuid.UUID) -> bool:
    active = await session.scalar(
        select(RefreshToken.id)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .limit(1)
    )
    return active is not None


async def change_password(
    *,
    session: AsyncSession,
    settings: Settings,
    user: User,
    current_session: uuid.UUID,
    data: PasswordChangeIn,
    user_agent: str | None = None,
) -> TokenPair:
    if not security.verify_password(data.current_password, user.password_hash):
        raise BadRequest("The current password is not correct.")
    if data.current_password == data.new_password:
        raise BadRequest("The new password must differ from the current one.")
    user.password_hash = security.hash_password(data.new_password)
    user.password_changed_at = datetime.now(UTC)
    # Every session ends, this one included; the caller gets a fresh session in the response.
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return await _issue_tokens(session=session, settings=settings, user=user, user_agent=user_agent)


async def update_me(*, session: AsyncSession, user: User, data: MeUpdate) -> UserRead:
    if data.email is not None and data.email != user.email:
        if await _email_taken(session=session, email=data.email, except_user=user.id):
            raise Conflict("Another account already uses this email.")
        user.email = data.email
    if data.display_name is not None:
        user.display_name = data.display_name.strip()
    await session.flush()
    return await user_read(session=session, user=user)
