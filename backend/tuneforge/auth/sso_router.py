"""Single sign-on routes: is it set up (`GET /api/auth/sso`), the button's redirect to the provider
(`/start`), the provider's redirect back (`/callback`), the SPA's exchange of the one-time code for its tokens
(`POST /exchange`), and a team's SSO-only setting. Browsers follow the first three, so their failures are
redirects to the login page with a message (`/login?sso_error=...`), never a JSON error page."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from tuneforge.auth import oidc, sso
from tuneforge.auth.oidc import SsoError
from tuneforge.auth.schemas import TokenPair
from tuneforge.auth.sso_schemas import SsoExchangeIn, SsoInfo, TeamSsoRead, TeamSsoUpdate
from tuneforge.config import Settings
from tuneforge.teams.models import Membership, Role
from tuneforge.web.deps import CallerDep, client_user_agent, SessionDep, SettingsDep, TeamMember
from tuneforge.web.ratelimit import limiter, login_limit
from tuneforge.web.security_headers import no_store

router = APIRouter(prefix="/auth/sso", tags=["auth"], dependencies=[Depends(no_store)])
teams_router = APIRouter(tags=["teams"])

LOGIN_PAGE = "/login"
LANDING_PAGE = "/sso/callback"


def _redirect_uri(request: Request, settings: Settings) -> str:
    return settings.oidc_redirect_url or str(request.url_for("sso_callback"))


def _to_login(error: SsoError, next_path: str = "/") -> RedirectResponse:
    query = {"sso_error": error.message}
    if next_path != "/":
        query["next"] = next_path
    response = RedirectResponse(f"{LOGIN_PAGE}?{urlencode(query)}", status_code=303)
    response.delete_cookie(oidc.FLOW_COOKIE, path=oidc.FLOW_COOKIE_PATH)
    return response


@router.get("")
async def sso_info(settings: SettingsDep) -> SsoInfo:
    """Whether the login page shows "Sign in with <label>"."""
    return SsoInfo(enabled=settings.oidc_enabled, label=settings.oidc_name)


@router.get("/start", response_class=RedirectResponse, status_code=302)
@limiter.limit(login_limit)
async def sso_start(request: Request, settings: SettingsDep, next: str | None = None) -> RedirectResponse:  # noqa: A002
    """Redirects to the provider's sign-in page. `next`: where to land once signed in (a path of this site)."""
    flow = oidc.new_flow(next)
    try:
        url = await oidc.authorization_url(settings=settings, flow=flow, redirect_uri=_redirect_uri(request, settings))
    except SsoError as error:
        await sso.record_failure(error=error)
        return _to_login(error, flow.next_path)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        oidc.FLOW_COOKIE, oidc.seal_flow(settings=settings, flow=flow), max_age=oidc.FLOW_SECONDS,
        path=oidc.FLOW_COOKIE_PATH, httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )
    return response


@router.get("/callback", name="sso_callback", response_class=RedirectResponse, status_code=303)
@limiter.limit(login_limit)
async def sso_callback(
    request: Request, session: SessionDep, settings: SettingsDep, code: str | None = None, state: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    """Where the provider sends the person back. Signed in: to /sso/callback#code=<one-time code>&next=<path>,
    which the SPA exchanges; otherwise to the login page with what went wrong."""
    next_path = "/"
    identity = None
    try:
        flow = oidc.open_flow(settings=settings, cookie=request.cookies.get(oidc.FLOW_COOKIE), state=state)
        next_path = flow.next_path
        if error:
            raise oidc.provider_error(settings=settings, error=error)
        if not code:
            raise SsoError("The sign-in answer had no code. Start again with the single sign-on button.",
                           reason="no_code")
        identity = await oidc.complete(settings=settings, code=code, flow=flow,
                                       redirect_uri=_redirect_uri(request, settings))
        one_time = await sso.sign_in(session=session, settings=settings, identity=identity)
    except SsoError as failure:
        await sso.record_failure(error=failure, email=identity.email if identity else None)
        await session.rollback()
        return _to_login(failure, next_path)
    response = RedirectResponse(f"{LANDING_PAGE}#{urlencode({'code': one_time, 'next': next_path})}", status_code=303)
    response.delete_cookie(oidc.FLOW_COOKIE, path=oidc.FLOW_COOKIE_PATH)
    return response


@router.post("/exchange")
@limiter.limit(login_limit)
async def sso_exchange(request: Request, data: SsoExchangeIn, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """The SSO sign-in's tokens for the one-time code of the callback (once, within a minute)."""
    return await sso.exchange(session=session, settings=settings, code=data.code, user_agent=client_user_agent(request))


@teams_router.get("/teams/{team_id}/sso")
async def get_team_sso(
    team_id: uuid.UUID, session: SessionDep, settings: SettingsDep, caller: CallerDep,
    membership: Membership = TeamMember(Role.viewer),
) -> TeamSsoRead:
    """Whether the team requires single sign-on, and how the caller's session signed in."""
    return TeamSsoRead(sso_only=await sso.team_sso_only(session=session, team_id=team_id),
                       sso_available=settings.oidc_enabled, label=settings.oidc_name, session_via=caller.via)


@teams_router.put("/teams/{team_id}/sso")
async def set_team_sso(
    team_id: uuid.UUID, data: TeamSsoUpdate, session: SessionDep, settings: SettingsDep, caller: CallerDep,
    membership: Membership = TeamMember(Role.admin),
) -> TeamSsoRead:
    """Require single sign-on for the team, or stop requiring it (admin or owner). Turning it on needs SSO set up
    and a session signed in with it; password sessions and API tokens then get 403 on the team's routes."""
    enabled = await sso.set_team_sso_only(session=session, settings=settings, membership=membership,
                                          actor=caller.user, caller_via=caller.via, enabled=data.sso_only)
    return TeamSsoRead(sso_only=enabled, sso_available=settings.oidc_enabled, label=settings.oidc_name,
                       session_via=caller.via)
