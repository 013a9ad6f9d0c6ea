"""The FastAPI application: /api routes, and the built SPA at / when it exists."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from slowapi.middleware import SlowAPIMiddleware

from tuneforge import __version__
from tuneforge.analytics.router import router as analytics_router
from tuneforge.api_tokens.router import router as api_tokens_router
from tuneforge.audit.context import AuditContextMiddleware
from tuneforge.audit.router import router as audit_router
from tuneforge.auth.router import router as auth_router
from tuneforge.auth.sso_router import router as sso_router
from tuneforge.auth.sso_router import teams_router as team_sso_router
from tuneforge.config import Settings, get_settings
from tuneforge.credentials.router import router as credentials_router
from tuneforge.credentials.team_router import router as team_credentials_router
from tuneforge.quotas.router import router as quotas_router
from tuneforge.datasets.router import formats_router as dataset_formats_router
from tuneforge.datasets.router import router as datasets_router
from tuneforge.db import make_engine, make_sessionmaker
from tuneforge.errors import NotFound
from tuneforge.web.error_handlers import install_error_handlers
from tuneforge.huggingface.router import router as huggingface_router
from tuneforge.jobs.fanout import EventFanout
from tuneforge.jobs.queue import psycopg_conninfo
from tuneforge.jobs.router import router as jobs_router
from tuneforge.jobs.ws import router as live_router
from tuneforge.registry.router import router as registry_router
from tuneforge.playground.router import router as playground_router
from tuneforge.playground.ws import router as playground_live_router
from tuneforge.publishing.router import router as publishing_router
from tuneforge.log import configure_logging
from tuneforge.web.body_limit import BodyLimitMiddleware
from tuneforge.web.ratelimit import limiter
from tuneforge.web.request_id import RequestIdMiddleware
from tuneforge.web.security_headers import SecurityHeadersMiddleware
from tuneforge.system.router import router as system_router
from tuneforge.teams.router import invitations_router as team_invitations_router
from tuneforge.teams.router import router as teams_router

ROUTERS: list[APIRouter] = [
    system_router,
    auth_router,
    sso_router,
    api_tokens_router,
    teams_router,
    team_sso_router,
    team_invitations_router,
    credentials_router,
    team_credentials_router,
    quotas_router,
    datasets_router,
    dataset_formats_router,
    jobs_router,
    analytics_router,
    registry_router,
    playground_router,
    publishing_router,
    live_router,
    playground_live_router,
    huggingface_router,
    audit_router,
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = getattr(app.state, "engine", None) is None
        if own_engine:
            if settings.database_url is None:
                raise RuntimeError("DATABASE_URL is not set; start TuneForge with `make run` or set DATABASE_URL.")
            app.state.engine = make_engine(settings.database_url)
            app.state.sessionmaker = make_sessionmaker(app.state.engine)
        app.state.fanout = EventFanout(dsn=psycopg_conninfo(settings.database_url), sessionmaker=app.state.sessionmaker)
        await app.state.fanout.start()
        try:
            yield
        finally:
            await app.state.fanout.stop()
            if own_engine:
                await app.state.engine.dispose()

    app = FastAPI(
        title="TuneForge",
        version=__version__,
        lifespan=lifespan,
        # Off in production unless TUNEFORGE_API_DOCS=true: the schema maps every route for an attacker.
        openapi_url="/api/openapi.json" if settings.api_docs_enabled else None,
        docs_url="/api/docs" if settings.api_docs_enabled else None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.limiter = limiter
    limiter.enabled = settings.rate_limit_enabled
    install_error_handlers(app)
    # Innermost: audit events learn the address and user agent; record_detached writes after the request.
    app.add_middleware(AuditContextMiddleware)
    app.add_middleware(SlowAPIMiddleware)
    # Refuses oversized bodies (413) before anything reads them; inside CORS and the request id, so
    # its answer carries both. The dataset uploads are exempt: they stream with their own cap.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestIdMiddleware)
    # Outermost: every response gets the same headers nginx.conf sets (the SPA's when the API serves it).
    app.add_middleware(SecurityHeadersMiddleware)

    api = APIRouter(prefix="/api")
    for router in ROUTERS:
        api.include_router(router)

    @api.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def unknown_api(path: str) -> None:
        raise NotFound(f"No API endpoint at /api/{path}." + (" See /api/docs for the list." if settings.api_docs_enabled else ""))

    app.include_router(api)
    if settings.spa_dir is not None and (settings.spa_dir / "index.html").exists():
        mount_spa(app, settings.spa_dir)
    return app


def mount_spa(app: FastAPI, spa_dir: Path) -> None:
    """Serve hashed assets directly and index.html for every other path (client-side routing).

    SecurityHeadersMiddleware (installed by create_app) gives these responses the CSP, framing and
    nosniff headers that nginx.conf sets when nginx serves the SPA instead."""
    spa_dir = spa_dir.resolve()
    index = spa_dir / "index.html"
    if (spa_dir / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=spa_dir / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str) -> FileResponse:
        candidate = (spa_dir / path).resolve()
        if path and spa_dir in candidate.parents and candidate.is_file():
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
