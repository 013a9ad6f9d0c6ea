from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tuneforge import security
from tuneforge.audit import service as audit
from tuneforge.auth import revocation, throttle
from tuneforge.auth.models import RefreshToken, User
from tuneforge.auth.passwords import password_problem
from tuneforge.auth.schemas import LoginIn, MeUpdate, PasswordChangeIn, RegisterIn, TeamSummary, TokenPair, UserRead
from tuneforge.config import Settings
from tuneforge.errors import BadRequest, Conflict, TooManyRequests, Unauthorized
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
    via: str = security.VIA_PASSWORD,
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
            via=via,
        )
    )
    await session.flush()
    access, expires_in = security.create_access_token(
        settings=settings, user_id=user.id, session_id=family_id, via=via
    )
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
    await audit.record(session, action="auth.registered", actor=user, via=security.VIA_PASSWORD, target_type="user",
                       target_id=user.id, target_label=user.email)
    return await _issue_tokens(session=session, settings=settings, user=user, user_agent=user_agent)


async def _audit_failed_sign_in(*, email: str, user: User | None, reason: str) -> None:
    """A refused sign-in, kept although the request rolls back. No actor: nobody proved who they are; the
    email they tried is kept, and the account when it exists (so its team's admins see it)."""
    await audit.record_detached(
        action="auth.sign_in", actor_email=email, outcome="failure", via=security.VIA_PASSWORD,
        target_type="user", target_id=user.id if user else None, target_label=email, detail={"reason": reason},
    )


async def login(*, session: AsyncSession, settings: Settings, data: LoginIn, user_agent: str | None = None) -> TokenPair:
    # Per-email throttle (429 while locked), whatever address the request comes from.
    try:
        await throttle.guard(session=session, settings=settings, email=data.email)
    except TooManyRequests:
        await audit.record_detached(action="auth.sign_in", actor_email=data.email, outcome="refused",
                                    via=security.VIA_PASSWORD, target_label=data.email,
                                    detail={"reason": "too many failed sign-ins for this email"})
        raise
    user = await session.scalar(select(User).where(User.email == data.email))
    if user is None:
        security.verify_password(data.password, security.DUMMY_PASSWORD_HASH)
    if user is None or not security.verify_password(data.password, user.password_hash):
        # Counted the same for unknown emails, so neither the answer nor the lock reveals an account.
        await throttle.record_failure(session=session, settings=settings, email=data.email)
        await _audit_failed_sign_in(email=data.email, user=user, reason="wrong email or password")
        raise Unauthorized(WRONG_CREDENTIALS, commit_session=True)
    await throttle.reset(session=session, email=data.email)
    if not user.is_active:
        await _audit_failed_sign_in(email=data.email, user=user, reason="account disabled")
        raise Unauthorized("This account is disabled. Ask your TuneForge administrator.")
    await audit.record(session, action="auth.sign_in", actor=user, via=security.VIA_PASSWORD, target_type="user",
                       target_id=user.id, target_label=user.email)
    return await _issue_tokens(session=session, settings=settings, user=user, user_agent=user_agent)


async def _revoke_family(*, session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    # Open WebSockets of this session close when this commits (logout, refresh-token reuse).
    await revocation.notify_sessions_ended(session=session, family_ids=[family_id])


async def _guard_refresh_rate(*, session: AsyncSession, settings: Settings, family_id: uuid.UUID) -> None:
    """At most settings.rate_limit_refresh_per_session refreshes of one session (refresh-token family) in a
    minute, counted from the family's tokens in the database so every API process sees the same count. Keyed
    by session, not address: people behind one NAT do not share it, and a reload never meets it. The refused
    token stays unused, so the session survives and the next refresh after the minute works."""
    if not settings.rate_limit_enabled:
        return
    recent = await session.scalar(
        select(func.count())
        .select_from(RefreshToken)
        .where(
            RefreshToken.family_id == family_id,
            RefreshToken.generation > 0,  # the sign-in's own token is not a refresh
            RefreshToken.created_at > datetime.now(UTC) - timedelta(minutes=1),
        )
    )
    if (recent or 0) >= settings.rate_limit_refresh_per_session:
        raise TooManyRequests(
            "This session refreshed its sign-in too often in the last minute. Wait a minute and reload the page.",
            retry_after=60,
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
    await _guard_refresh_rate(session=session, settings=settings, family_id=stored.family_id)
    stored.used_at = datetime.now(UTC)
    return await _issue_tokens(
        session=session,
        settings=settings,
        user=user,
        family_id=stored.family_id,
        generation=stored.generation + 1,
        user_agent=user_agent,
        via=stored.via,
    )


async def logout(*, session: AsyncSession, token: str) -> None:
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == security.hash_refresh_token(token))
    )
    if stored is not None:
        was_live = stored.revoked_at is None
        await _revoke_family(session=session, family_id=stored.family_id)
        if was_live and (user := await session.get(User, stored.user_id)) is not None:
            await audit.record(session, action="auth.sign_out", actor=user, target_type="user", target_id=user.id,
                               target_label=user.email)


async def session_is_active(*, session: AsyncSession, family_id: uuid.UUID) -> bool:
    active = await session.scalar(
        select(RefreshToken.id)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .limit(1)
    )
    return active is not None


async def authenticate(*, session: AsyncSession, settings: Settings, token: str) -> tuple[User, uuid.UUID, str]:
    """The signed-in user an access token stands for, its session (refresh-token family) and how that session
    signed in ("password" or "sso"); Unauthorized if the token is invalid, the account gone or disabled, or
    the session ended."""
    try:
        user_id, session_id, via = security.decode_access_token_via(settings=settings, token=token)
    except security.InvalidAccessToken as exc:
        raise Unauthorized(str(exc)) from exc
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("This account no longer exists or is disabled. Sign in again.")
    if not await session_is_active(session=session, family_id=session_id):
        raise Unauthorized("This session was ended (logged out or password changed). Sign in again.")
    return user, session_id, via


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
        await audit.record_detached(action="auth.password_changed", actor=user, outcome="failure", target_type="user",
                                    target_id=user.id, target_label=user.email,
                                    detail={"reason": "wrong current password"})
        raise BadRequest("The current password is not correct.")
    if data.current_password == data.new_password:
        raise BadRequest("The new password must differ from the current one.")
    if problem := password_problem(data.new_password, email=user.email, display_name=user.display_name):
        raise BadRequest(problem)
    user.password_hash = security.hash_password(data.new_password)
    user.password_changed_at = datetime.now(UTC)
    # Every session ends, this one included; the caller gets a fresh session in the response.
    ended = await session.scalars(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
        .returning(RefreshToken.family_id)
    )
    # ...and their open WebSockets close when this commits.
    ended_ids = ended.all()
    await revocation.notify_sessions_ended(session=session, family_ids=ended_ids)
    await audit.record(session, action="auth.password_changed", actor=user, target_type="user", target_id=user.id,
                       target_label=user.email, detail={"sessions_ended": len(ended_ids)})
    return await _issue_tokens(session=session, settings=settings, user=user, user_agent=user_agent)


async def update_me(*, session: AsyncSession, user: User, data: MeUpdate) -> UserRead:
    if data.email is not None and data.email != user.email:
        # The email signs in, so a stolen access token alone must not be able to change it.
        if not data.current_password:
            raise BadRequest("Enter your current password to change your email.")
        if not security.verify_password(data.current_password, user.password_hash):
            raise BadRequest("The current password is not correct.")
        if await _email_taken(session=session, email=data.email, except_user=user.id):
            raise Conflict("Another account already uses this email.")
        await audit.record(session, action="auth.email_changed", actor=user, target_type="user", target_id=user.id,
                           target_label=data.email, detail={"from": user.email, "to": data.email})
        user.email = data.email
    if data.display_name is not None:
        user.display_name = data.display_name.strip()
    await session.flush()
    return await user_read(session=session, user=user)
