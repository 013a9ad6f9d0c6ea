"""Typed dependencies shared by every domain: the request's database session, the settings, the caller,
their team role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tuneforge import security
from tuneforge.api_tokens import service as api_tokens_service
from tuneforge.api_tokens.models import ApiToken
from tuneforge.audit import context as audit_context
from tuneforge.auth import service as auth_service
from tuneforge.auth import sign_in
from tuneforge.auth.models import User
from tuneforge.config import Settings, get_settings
from tuneforge.errors import AppError, Forbidden, Unauthorized
from tuneforge.teams import repository as teams_repository
from tuneforge.teams.models import Membership, Role


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except AppError as exc:
            # Some refusals must still persist what they did (e.g. revoking a session on token re-use).
            if exc.commit_session:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise


# scope="function": commit before the response is sent, so a client's next request sees the change.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


SettingsDep = Annotated[Settings, Depends(get_settings)]

_bearer = HTTPBearer(
    auto_error=False, description="Access token from /api/auth/login, or a personal API token (tfp_..., Settings)"
)


@dataclass
class Caller:
    user: User
    # The sign-in's session (refresh-token family), or the API token's id: the fan-out closes sockets by it.
    session_id: uuid.UUID
    api_token: ApiToken | None = None  # set when the caller used a personal API token, not a password sign-in
    via: str = security.VIA_PASSWORD  # how it signed in: "password", "sso" or "token" (a personal API token)


async def authenticate_token(*, session: AsyncSession, settings: Settings, token: str) -> Caller:
    """A bearer token: a personal API token (`tfp_...`) or an access token from a sign-in (password or SSO).
    How it signed in is remembered on the session, for SSO-only teams (tuneforge.auth.sign_in)."""
    if security.is_api_token(token):
        user, api_token = await api_tokens_service.authenticate(session=session, token=token)
        caller = Caller(user=user, session_id=api_token.id, api_token=api_token, via=security.VIA_TOKEN)
    else:
        user, session_id, via = await auth_service.authenticate(session=session, settings=settings, token=token)
        caller = Caller(user=user, session_id=session_id, via=via)
    sign_in.remember(session, caller.via)
    return caller


async def get_caller(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Sign in first: this needs an access token in the Authorization header.")
    caller = await authenticate_token(session=session, settings=settings, token=credentials.credentials)
    audit_context.set_via(caller.via)
    if caller.api_token is not None:
        # A read token reads, whatever the route (403, and nothing runs).
        api_tokens_service.check_method(token=caller.api_token, method=request.method)
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_password_caller(caller: CallerDep) -> Caller:
    """For what an API token must never do: manage API tokens, change the password or the email."""
    if caller.api_token is not None:
        raise Forbidden(api_tokens_service.NEEDS_PASSWORD_SIGN_IN)
    return caller


PasswordCallerDep = Annotated[Caller, Depends(get_password_caller)]


async def get_current_user(caller: CallerDep) -> User:
    return caller.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def TeamMember(role: Role | str = Role.viewer):  # noqa: N802 — reads like a type in signatures
    """Dependency for routes with a `team_id` path parameter: the caller's membership, at least `role`."""
    min_role = Role(role)

    async def dependency(team_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Membership:
        return await teams_repository.require_membership(
            session=session, user_id=user.id, team_id=team_id, min_role=min_role
        )

    return Depends(dependency)


def client_user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")
