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

from tuneforge.auth import service as auth_service
from tuneforge.auth.models import User
from tuneforge.config import Settings, get_settings
from tuneforge.errors import AppError, Unauthorized
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

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/auth/login")


@dataclass
class Caller:
    user: User
    session_id: uuid.UUID


async def authenticate_token(*, session: AsyncSession, settings: Settings, token: str) -> Caller:
    user, session_id = await auth_service.authenticate(session=session, settings=settings, token=token)
    return Caller(user=user, session_id=session_id)


async def get_caller(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Sign in first: this needs an access token in the Authorization header.")
    return await authenticate_token(session=session, settings=settings, token=credentials.credentials)


CallerDep = Annotated[Caller, Depends(get_caller)]


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
