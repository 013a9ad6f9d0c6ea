"""Tags every HTTP request and WebSocket with an id, returns it in X-Request-ID and writes the access log."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tuneforge.log import request_id_var

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("tuneforge.access")


class RequestIdMiddleware:
    """Tags every request with an id (kept from X-Request-ID when sane), returns it and logs the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # The query string is left out on purpose: WebSocket clients may pass tokens there.
            access_log.info(
                "%s %s %s",
                scope.get("method", "WS"),
                scope.get("path"),
                status,
                extra={"fields": {
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    # The address rate limits see: the peer, or X-Forwarded-For from TUNEFORGE_TRUSTED_PROXIES.
                    "client": (scope.get("client") or ("",))[0],
                }},
            )
            request_id_var.reset(token)
