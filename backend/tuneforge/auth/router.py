from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status

from tuneforge.auth import service
from tuneforge.auth.schemas import LoginIn, MeUpdate, PasswordChangeIn, RefreshIn, RegisterIn, TokenPair, UserRead
from tuneforge.api_tokens.service import NEEDS_PASSWORD_SIGN_IN
from tuneforge.errors import Forbidden
from tuneforge.web.deps import CallerDep, client_user_agent, CurrentUser, PasswordCallerDep, SessionDep, SettingsDep
from tuneforge.web.ratelimit import limiter, login_limit, register_limit
from tuneforge.web.security_headers import no_store

# Tokens and account details: never cached (Cache-Control: no-store on every answer).
router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(no_store)])


@router.post("/register", status_code=status.HTTP_201_CREATED)
@limiter.limit(register_limit)
async def register(request: Request, data: RegisterIn, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return await service.register(session=session, settings=settings, data=data, user_agent=client_user_agent(request))


@router.post("/login")
@limiter.limit(login_limit)
async def login(request: Request, data: LoginIn, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return await service.login(session=session, settings=settings, data=data, user_agent=client_user_agent(request))


@router.post("/refresh")
# Not the sign-in limit per address: refreshes are limited per session in the service
# (settings.rate_limit_refresh_per_session), so reloads and several tabs never meet it.
async def refresh(request: Request, data: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return await service.refresh(
        session=session, settings=settings, token=data.refresh_token, user_agent=client_user_agent(request)
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(data: RefreshIn, session: SessionDep) -> Response:
    await service.logout(session=session, token=data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
async def me(session: SessionDep, user: CurrentUser) -> UserRead:
    return await service.user_read(session=session, user=user)


@router.patch("/me")
@limiter.limit(login_limit)  # it checks the current password: no unthrottled guessing with a stolen token
async def update_me(request: Request, data: MeUpdate, session: SessionDep, caller: CallerDep) -> UserRead:
    if caller.api_token is not None and data.email is not None and data.email != caller.user.email:
        raise Forbidden(NEEDS_PASSWORD_SIGN_IN)  # the email signs in: only a password sign-in changes it
    return await service.update_me(session=session, user=caller.user, data=data)


@router.post("/password")
@limiter.limit(login_limit)  # it checks the current password: no unthrottled guessing with a stolen token
async def change_password(
    request: Request, data: PasswordChangeIn, session: SessionDep, settings: SettingsDep, caller: PasswordCallerDep
) -> TokenPair:
    return await service.change_password(
        session=session,
        settings=settings,
        user=caller.user,
        current_session=caller.session_id,
        data=data,
        user_agent=client_user_agent(request),
    )
