"""Personal API tokens: create (the token is returned once), list, revoke, and authenticate a request's
`Bearer tfp_...`. Flushes, never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from tuneforge import security
from tuneforge.api_tokens.models import ApiToken, TokenScope
from tuneforge.api_tokens.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenRead
from tuneforge.audit import service as audit
from tuneforge.auth import revocation
from tuneforge.auth.models import User
from tuneforge.errors import Forbidden, NotFound, Unauthorized

# last_used_at is written at most this often per token, to spare a write on every request.
LAST_USED_EVERY = timedelta(minutes=1)
READ_METHODS = frozenset({"GET", "HEAD"})

NOT_VALID = "This API token is not valid: create a new one in Settings."
REVOKED = "This API token was revoked: create a new one in Settings."
EXPIRED = "This API token expired: create a new one in Settings."
ACCOUNT_DISABLED = "The account of this API token no longer exists or is disabled."
READ_ONLY = "This API token is read-only; create a write token for this."
NEEDS_PASSWORD_SIGN_IN = (
    "An API token cannot do this: sign in with your password to manage tokens, your password or your email."
)
NO_SUCH_TOKEN = "No such API token (it may belong to another account)."


async def create(*, session: AsyncSession, user: User, data: ApiTokenCreate) -> ApiTokenCreated:
    secret = security.new_api_token()
    now = datetime.now(UTC)
    row = ApiToken(
        user_id=user.id,
        name=data.name,
        scope=data.scope,
        token_hash=security.hash_api_token(secret),
        last_four=secret[-4:],
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days),
    )
    session.add(row)
    await session.flush()
    await audit.record(session, action="token.created", actor=user, target_type="api_token", target_id=row.id,
                       target_label=row.name, detail={"scope": row.scope.value, "expires_at": row.expires_at.isoformat(),
                                                      "last_four": row.last_four})
    return ApiTokenCreated(**ApiTokenRead.model_validate(row).model_dump(), token=secret)


async def list_tokens(*, session: AsyncSession, user: User) -> list[ApiTokenRead]:
    """The caller's tokens, newest first, revoked and expired ones included; never a secret."""
    rows = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id)
    )
    return [ApiTokenRead.model_validate(row) for row in rows]


async def revoke(*, session: AsyncSession, user: User, token_id: uuid.UUID) -> None:
    """Revokes one of the caller's tokens (again: no change). Another account's token answers 404. Open
    WebSockets signed in with it close when this commits."""
    row = await session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id).with_for_update()
    )
    if row is None:
        raise NotFound(NO_SUCH_TOKEN)
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        await session.flush()
        # The fan-out knows a token's sockets by the token id (their "session").
        await revocation.notify_sessions_ended(session=session, family_ids=[row.id])
        await audit.record(session, action="token.revoked", actor=user, target_type="api_token", target_id=row.id,
                           target_label=row.name)


async def authenticate(*, session: AsyncSession, token: str) -> tuple[User, ApiToken]:
    """The user an API token stands for, and its row; Unauthorized (with what to do) if it is unknown,
    revoked, expired, or its account is gone or disabled. Records when it was used (at most once a minute)."""
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == security.hash_api_token(token)))
    if row is None:
        raise Unauthorized(NOT_VALID)
    now = datetime.now(UTC)
    if row.revoked_at is not None:
        raise Unauthorized(REVOKED)
    if row.expires_at <= now:
        raise Unauthorized(EXPIRED)
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized(ACCOUNT_DISABLED)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        # Conditional, so concurrent requests of one token write once.
        await session.execute(
            update(ApiToken)
            .where(ApiToken.id == row.id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_EVERY))
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(row, "last_used_at", now)
    return user, row


def check_method(*, token: ApiToken, method: str) -> None:
    """A read token may only read (GET, HEAD), whatever the route."""
    if token.scope == TokenScope.read and method.upper() not in READ_METHODS:
        raise Forbidden(READ_ONLY)
