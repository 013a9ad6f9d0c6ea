"""A loopback stand-in for the Hugging Face Hub's HTTP API, for tests and offline demos.

It speaks the documented endpoints TuneForge calls — GET /api/whoami-v2, the model search
GET /api/models (search, filter, sort, direction, limit; private models only for their owner's
token), and for dataset repositories GET /api/datasets/{id}/revision/{rev} (sha and siblings) and
GET /datasets/{id}/resolve/{sha}/{path} (a private one answers 401 without its owner's token) —
so the real client code is what talks to it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_MODELS = [
    {"id": "HuggingFaceTB/SmolLM2-135M-Instruct", "downloads": 412_000, "likes": 190, "pipeline_tag": "text-generation",
     "library_name": "transformers", "gated": False, "private": False, "lastModified": "2025-02-06T10:33:10.000Z"},
    {"id": "HuggingFaceTB/SmolLM2-360M-Instruct", "downloads": 188_000, "likes": 120, "pipeline_tag": "text-generation",
     "library_name": "transformers", "gated": False, "private": False, "lastModified": "2025-02-06T10:34:44.000Z"},
    {"id": "meta-llama/Llama-3.2-1B-Instruct", "downloads": 2_900_000, "likes": 1100, "pipeline_tag": "text-generation",
     "library_name": "transformers", "gated": "manual", "private": False, "lastModified": "2024-10-24T15:07:51.000Z"},
    {"id": "sentence-transformers/all-MiniLM-L6-v2", "downloads": 90_000_000, "likes": 3000,
     "pipeline_tag": "sentence-similarity", "library_name": "sentence-transformers", "gated": False, "private": False,
     "lastModified": "2024-11-01T00:00:00.000Z"},
    {"id": "alice/private-smol-sft", "downloads": 3, "likes": 0, "pipeline_tag": "text-generation",
     "library_name": "transformers", "gated": False, "private": True, "lastModified": "2026-11-01T00:00:00.000Z"},
]


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _chat(i: int) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Answer {i}."}]}


# Dataset repositories: id -> {"sha", "private", "files": {path: bytes}} (one commit each, branch "main").
DEFAULT_DATASETS: dict[str, dict[str, Any]] = {
    "tuneforge/tiny-chat": {
        "sha": "3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39", "private": False,
        "files": {
            "README.md": b"# tiny chat\n",
            "data/train-00000-of-00001.jsonl": _jsonl([_chat(i) for i in range(12)]),
            "data/test-00000-of-00001.jsonl": _jsonl([_chat(100 + i) for i in range(3)]),
        },
    },
    "alice/private-qa": {
        "sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "private": True,
        "files": {"train.jsonl": _jsonl([{"prompt": f"Q{i}", "completion": f"A{i}"} for i in range(5)])},
    },
}


class FakeHub:
    def __init__(self, tokens: dict[str, str] | None = None, models: list[dict[str, Any]] | None = None,
                 datasets: dict[str, dict[str, Any]] | None = None) -> None:
        self.tokens = dict(tokens or {})
        self.models = [dict(m) for m in (DEFAULT_MODELS if models is None else models)]
        self.datasets = {k: {**v, "files": dict(v["files"])} for k, v in (DEFAULT_DATASETS if datasets is None else datasets).items()}
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

            def _dataset(self, path: str, user: str | None) -> None:
                """GET /api/datasets/{id}/revision/{rev} and GET /datasets/{id}/resolve/{sha}/{file}."""
                api = path.startswith("/api/")
                parts = path.removeprefix("/api").removeprefix("/datasets/").split("/")
                repo = hub.datasets.get("/".join(parts[:2]))
                if repo is None or (repo["private"] and parts[0] != user):
                    if repo is not None and user is None:
                        self._send(401, {"error": "Invalid username or password."})
                    else:
                        self._send(404, {"error": "Repository not found"})
                    return
                action, rest = (parts[2] if len(parts) > 2 else ""), parts[3:]
                if api and action == "revision" and len(rest) == 1 and rest[0] in ("main", repo["sha"]):
                    self._send(200, {"id": "/".join(parts[:2]), "sha": repo["sha"], "private": repo["private"],
                                     "siblings": [{"rfilename": name} for name in repo["files"]]})
                    return
                name = "/".join(rest[1:])
                if not api and action == "resolve" and rest and rest[0] == repo["sha"] and name in repo["files"]:
                    payload = repo["files"][name]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self._send(404, {"error": "Revision or entry not found"})

            def do_GET(self) -> None:  # noqa: N802
                auth = self.headers.get("Authorization", "")
                hub.requests.append({"method": "GET", "path": self.path, "authorization": auth})
                url = urlsplit(self.path)
                token = auth.removeprefix("Bearer ").strip()
                user = hub.tokens.get(token)
                if auth and user is None:
                    self._send(401, {"error": "Invalid credentials in Authorization header"})
                    return
                if url.path == "/api/models":
                    self._send(200, hub.search(parse_qs(url.query), user))
                    return
                if url.path.startswith(("/api/datasets/", "/datasets/")):
                    self._dataset(unquote(url.path), user)
                    return
                if url.path != "/api/whoami-v2":
                    self._send(404, {"error": "Not found"})
                    return
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

    def search(self, query: dict[str, list[str]], user: str | None) -> list[dict[str, Any]]:
        """GET /api/models: substring match on the id, pipeline filter, sort and limit, as the Hub does."""
        text = query.get("search", [""])[0].lower()
        pipeline = query.get("filter", [None])[0]
        found = [
            m for m in self.models
            if text in m["id"].lower()
            and (pipeline is None or m.get("pipeline_tag") == pipeline)
            and (not m.get("private") or m["id"].split("/")[0] == user)
        ]
        key = query.get("sort", [None])[0]
        if key:
            found.sort(key=lambda m: m.get(key) or 0, reverse=query.get("direction", ["-1"])[0] == "-1")
        limit = int(query.get("limit", ["1000"])[0])
        return [{**m, "modelId": m["id"]} for m in found[:limit]]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
