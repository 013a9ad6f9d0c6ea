"""Caps request bodies before anything parses them.

FastAPI reads a whole JSON body into memory before validating it, so without a cap one large
unauthenticated POST (say to /api/auth/login) makes the API hold it all. This ASGI middleware
answers 413 with the usual JSON error body instead:

- at once, without reading a byte, when Content-Length declares more than the limit;
- for bodies without a length (chunked), as soon as the bytes read so far pass the limit: it
  stops reading, the app's own answer (if any) is dropped, and the connection is not reused.

The dataset upload routes are left alone: they stream multipart parts straight to storage and
enforce their own, much larger cap (tuneforge.datasets.upload). nginx applies the same split
(nginx/nginx.conf); this covers `make run`, where nothing stands in front of the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Routes whose bodies are streamed to storage (POST only): the dataset uploads in
# tuneforge.datasets.router. nginx/nginx.conf lists the same paths; tests check both against
# the app's routes.
UPLOAD_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", r"^/api/teams/[^/]+/datasets$"),
    ("POST", r"^/api/teams/[^/]+/datasets/[^/]+/versions$"),
)


def _size(num_bytes: int) -> str:
    if num_bytes % (1 << 20) == 0:
        return f"{num_bytes >> 20} MiB"
    if num_bytes % (1 << 10) == 0:
        return f"{num_bytes >> 10} KiB"
    return f"{num_bytes} bytes"


def too_large_detail(max_bytes: int) -> str:
    return (
        f"The request body is larger than the {_size(max_bytes)} this endpoint accepts, so it was not read. "
        "Send less data; files go through the dataset upload (multipart), which takes large files."
    )


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt: Iterable[tuple[str, str]] = UPLOAD_ROUTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = [(method.upper(), re.compile(pattern)) for method, pattern in exempt]

    def _is_exempt(self, scope: Scope) -> bool:
        method, path = scope.get("method", ""), scope.get("path", "")
        return any(method == m and pattern.match(path) for m, pattern in self.exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_exempt(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return

        received = 0
        too_large = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            if too_large:  # the app asks again after being refused: the body is over, as far as it goes
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large and not response_started:
                return  # the app's answer to a body it could not read (e.g. FastAPI's 400): ours replaces it
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if response_started:
                raise
        except Exception:
            if not too_large or response_started:
                raise
        if too_large and not response_started:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"error": "PayloadTooLarge", "detail": too_large_detail(self.max_bytes)}).encode()
        await send({
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read, so this connection cannot carry another request.
                (b"connection", b"close"),
            ],
        })
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None
