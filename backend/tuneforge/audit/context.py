"""Where an audited action comes from (address, user agent, how the caller signed in), kept per request in a
contextvar so services record it without taking a Request. No web framework here: the middleware is plain
ASGI, and the worker and the CLI simply have no context (their events have no address)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuditContext:
    ip: str | None = None
    user_agent: str | None = None
    via: str | None = None  # set once the caller is authenticated (tuneforge.web.deps.get_caller)
    sessionmaker: Any = None  # the app's async_sessionmaker, for record_detached
    # Events from record_detached, written once the request's own transaction is over (see service.py).
    pending: list[dict[str, Any]] = field(default_factory=list)


audit_context_var: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)


def current() -> AuditContext | None:
    return audit_context_var.get()


def set_via(via: str | None) -> None:
    context = audit_context_var.get()
    if context is not None:
        context.via = via


class AuditContextMiddleware:
    """Fills the audit context of each HTTP request and WebSocket, then writes the events that
    record_detached queued.

    The address is the ASGI peer: uvicorn replaces it with X-Forwarded-For only when the peer is one of
    TUNEFORGE_TRUSTED_PROXIES (tuneforge.cli), so a forged header cannot forge the audit address."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        user_agent = dict(scope.get("headers") or []).get(b"user-agent", b"").decode("latin-1")[:300] or None
        client = scope.get("client")
        app = scope.get("app")
        context = AuditContext(
            ip=client[0] if client else None,
            user_agent=user_agent,
            sessionmaker=getattr(getattr(app, "state", None), "sessionmaker", None),
        )
        token = audit_context_var.set(context)

        async def send_after_writing(message: dict) -> None:
            # The request's own transaction is over once its answer starts (the session dependency ends
            # first): queued events are written then, so the client that reads the log next sees them.
            if message["type"] == "http.response.start" and context.pending:
                await _write_pending(context)
            await send(message)

        try:
            await self.app(scope, receive, send_after_writing)
        finally:
            audit_context_var.reset(token)
            if context.pending:  # no answer was sent (an unhandled error, a WebSocket)
                await _write_pending(context)


async def _write_pending(context: AuditContext) -> None:
    from tuneforge.audit.service import write_pending

    await write_pending(context)
