"""How domain errors, validation errors and rate limits become HTTP answers: one JSON shape,
{"error": "<Class>", "detail": "..."}, whatever raised them."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from slowapi.errors import RateLimitExceeded
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tuneforge.db import database_unreachable
from tuneforge.errors import AppError, DatabaseUnavailable, InsufficientStorage
from tuneforge.storage import disk_full


def error_body(name: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"error": name, "detail": detail, **extra}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_message(err: dict[str, Any]) -> str:
    message = str(err.get("msg", "is invalid"))
    # pydantic prefixes custom errors with "Value error, "; users don't need it.
    return message.removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        extra = {"code": exc.code} if exc.code else {}
        return JSONResponse(error_body(exc.name, exc.detail, **extra), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": _field_name(tuple(err.get("loc", ()))), "message": _validation_message(err)}
            for err in exc.errors()
        ]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
        return JSONResponse(
            error_body("ValidationError", f"The request is not valid — {summary}", fields=fields),
            status_code=422,
        )

    @app.exception_handler(RateLimitExceeded)
    async def _rate_limited(request: Request, exc: RateLimitExceeded) -> JSONResponse:
        return JSONResponse(
            error_body("TooManyRequests", f"Too many requests ({exc.detail}). Wait a minute and try again."),
            status_code=429,
            headers={"Retry-After": "60"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized", 403: "Forbidden"}
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No API endpoint at {request.url.path}. See /api/docs for the list."
        return JSONResponse(
            error_body(names.get(exc.status_code, "HTTPError"), detail),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def _outage(request: Request, exc: Exception) -> JSONResponse:
        """The database is down or restarting: 503 with a message saying it passes, not a 500.
        (And a full storage volume anywhere: 507, not a 500.)"""
        import logging

        if disk_full(exc):
            logging.getLogger("tuneforge.errors").error("storage full on %s %s: %s", request.method, request.url.path, exc)
            full = InsufficientStorage()
            return JSONResponse(error_body(full.name, full.detail), status_code=full.status_code)
        if not database_unreachable(exc):
            raise exc  # a real failure: the 500 handler below answers and logs it

        logging.getLogger("tuneforge.errors").warning(
            "database unreachable on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        error = DatabaseUnavailable()
        return JSONResponse(error_body(error.name, error.detail), status_code=error.status_code, headers=error.headers)

    # Where a lost database (or a full disk) surfaces: a refused connection or ENOSPC (OSError), the
    # driver's own errors, SQLAlchemy's wrappers of them. Anything else of these is re-raised to `_unexpected`.
    for exc_class in (OSError, DBAPIError, asyncpg.PostgresError, asyncpg.InterfaceError):
        app.add_exception_handler(exc_class, _outage)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("tuneforge.errors").exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(
                "InternalError",
                "Something went wrong on the server. Nothing you saved was lost; try again, "
                "and quote the request id in the X-Request-ID header if it keeps happening.",
            ),
            status_code=500,
        )
