"""A loopback stand-in for the Hugging Face Hub's HTTP API, for tests and offline demos.

It speaks the documented endpoints TuneForge calls (GET /api/whoami-v2 for now) so the real
client code is what talks to it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeHub:
    def __init__(self, tokens: dict[str, str] | None = None) -> None:
        self.tokens = dict(tokens or {})
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeHub is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802
                auth = self.headers.get("Authorization", "")
                hub.requests.append({"method": "GET", "path": self.path, "authorization": auth})
                if self.path != "/api/whoami-v2":
                    self._send(404, {"error": "Not found"})
                    return
                token = auth.removeprefix("Bearer ").strip()
                user = hub.tokens.get(token)
                if user is None:
                    self._send(401, {"error": "Invalid credentials in Authorization header"})
                    return
                self._send(
                    200,
                    {
                        "type": "user",
                        "name": user,
                        "fullname": user.title(),
                        "orgs": [],
                        "auth": {"type": "access_token", "accessToken": {"displayName": "tuneforge", "role": "write"}},
                    },
                )

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
