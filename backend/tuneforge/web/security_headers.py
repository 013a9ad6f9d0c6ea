"""The browser security headers, defined once for the API's own responses.

nginx/nginx.conf sets the same headers in front of the API (and hides any copy the API sends);
these apply when the API serves the SPA itself (`make run`, `tuneforge api` without nginx).
tests/api/test_security_headers.py parses nginx.conf and fails when the two differ.
"""

from __future__ import annotations

from fastapi import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The SPA only talks to its own origin (CSP3 'self' also covers ws:/wss: to the same host).
# Styles allow inline because UI libraries inject <style> at run time; scripts never do.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; manifest-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# FastAPI's Swagger UI page loads its script and styles from a CDN and runs an inline script.
DOCS_PATH = "/api/docs"
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

# Every response, whatever the path (the Content-Security-Policy comes from content_security_policy()).
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(path: str) -> str:
    return DOCS_CONTENT_SECURITY_POLICY if path == DOCS_PATH else CONTENT_SECURITY_POLICY


def security_headers(path: str) -> dict[str, str]:
    return {"Content-Security-Policy": content_security_policy(path), **SECURITY_HEADERS}


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (errors included) that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def no_store(response: Response) -> None:
    """Router dependency for answers that carry tokens or secrets: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
