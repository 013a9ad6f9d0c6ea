"""Request bodies are capped before anything parses them (tuneforge.web.body_limit), except the dataset
uploads, which stream to storage under their own cap and bounded multipart rules (datasets/upload.py)."""

from __future__ import annotations

import json
import re
import select
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.datasets.helpers import chat, jsonl
from tuneforge.datasets.upload import receive_upload
from tuneforge.errors import BadRequest, PayloadTooLarge
from tuneforge.storage import Storage
from tuneforge.web.body_limit import UPLOAD_ROUTES

MIB = 1 << 20
CHUNK = 64 * 1024
DETAIL = "The request body is larger than the 1 MiB this endpoint accepts, so it was not read."
NGINX_CONF = Path(__file__).resolve().parents[3] / "nginx" / "nginx.conf"


def _scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "POST") -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }


async def _call(app, scope: dict, receive) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


async def test_a_2_mib_login_is_refused_with_413_and_what_to_do(client):
    body = json.dumps({"email": "a@example.com", "password": "x" * (2 * MIB)})
    response = await client.post("/api/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"
    assert response.json()["detail"].startswith(DETAIL)
    assert "dataset upload" in response.json()["detail"]
    assert response.headers["x-request-id"]  # the usual response headers still apply


async def test_a_declared_length_over_the_limit_is_refused_before_reading_a_byte(app):
    async def receive():
        raise AssertionError("the body was read")

    status, headers, body = await _call(
        app, _scope("/api/auth/login", [(b"content-type", b"application/json"), (b"content-length", b"104857600")]), receive
    )
    assert status == 413 and json.loads(body)["error"] == "PayloadTooLarge"
    assert headers[b"connection"] == b"close"


async def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit(app):
    """No Content-Length: the middleware counts, and stops reading one chunk past 1 MiB of a 16 MiB body."""
    pulled = 0

    async def receive():
        nonlocal pulled
        if pulled >= 16 * MIB:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += CHUNK
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}

    status, _, body = await _call(
        app, _scope("/api/auth/login", [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]), receive
    )
    assert status == 413
    assert json.loads(body)["detail"].startswith(DETAIL)
    assert pulled <= MIB + CHUNK  # never buffered the rest


async def test_a_chunked_body_through_httpx_gets_413_too(client):
    async def chunks():
        for _ in range(40):  # 2.5 MiB, no Content-Length
            yield b"x" * CHUNK

    response = await client.post("/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"


async def test_bodies_within_the_limit_are_parsed_as_before(client, register):
    account = await register()
    ok = await client.post("/api/auth/login", json={"email": account.email, "password": account.password})
    assert ok.status_code == 200 and ok.json()["access_token"]
    # Just under 1 MiB reaches validation (and is refused there for what it is).
    big = await client.post("/api/auth/login", json={"email": account.email, "password": "y" * (MIB - 100)})
    assert big.status_code == 422


async def test_an_upload_above_1_mib_still_works(client, register):
    account = await register()
    rows = [chat(f"question {i} " + "q" * 10_000, f"answer {i}") for i in range(160)]
    content = jsonl(rows)
    assert len(content) > 1.5 * MIB
    response = await client.post(
        f"/api/teams/{account.team_id}/datasets",
        files=[("files", ("big.jsonl", content, "application/octet-stream"))],
        data={"name": "big"},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"]["id"]


async def test_too_many_multipart_fields_are_refused(client, register):
    account = await register()
    response = await client.post(
        f"/api/teams/{account.team_id}/datasets",
        files=[("files", ("a.jsonl", jsonl([chat("a", "b")]), "application/octet-stream"))],
        data={f"field{i}": "v" for i in range(40)},
        headers=account.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequest"
    assert "more than 32 text fields" in response.json()["detail"]


def test_the_exempt_routes_are_exactly_the_streaming_uploads_in_the_app_and_in_nginx(app):
    """UPLOAD_ROUTES and nginx's large-body location match the multipart upload routes and nothing else."""
    nginx_regexes = re.findall(r"location ~ (\S+) \{[^}]*client_max_body_size 2050m;", NGINX_CONF.read_text())
    assert len(nginx_regexes) == 1
    uploads, others = set(), set()
    for path, operations in app.openapi()["paths"].items():
        if "post" not in operations:
            continue
        sample = re.sub(r"\{[^}]+\}", "0f1e2d3c-0000-4000-8000-000000000000", path)
        multipart = "multipart/form-data" in operations["post"].get("requestBody", {}).get("content", {})
        (uploads if multipart else others).add(sample)
    assert len(others) > 10
    assert len(uploads) == 2
    for path in uploads:
        assert any(re.match(p, path) for m, p in UPLOAD_ROUTES if m == "POST"), path
        assert re.match(nginx_regexes[0], path), path
    for path in others:
        assert not any(re.match(p, path) for _, p in UPLOAD_ROUTES), path
        assert not re.match(nginx_regexes[0], path), path


# -- the multipart receiver's own bounds ------------------------------------------------------------


def _part(name: str, filename: str | None, content: bytes, extra_headers: str = "") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    return f"--B\r\nContent-Disposition: {disposition}\r\n{extra_headers}\r\n".encode() + content + b"\r\n"


class _Request:
    """What receive_upload reads: headers (no Content-Length, like a chunked body) and a stream."""

    def __init__(self, body: bytes) -> None:
        self.headers = {"content-type": "multipart/form-data; boundary=B"}
        self._body = body

    async def stream(self):
        for start in range(0, len(self._body), CHUNK):
            yield self._body[start : start + CHUNK]


def _stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def test_text_fields_count_toward_the_upload_cap(tmp_path):
    body = _part("notes", None, b"n" * 9_000) + _part("files", "a.jsonl", b"x" * 2_000) + b"--B--\r\n"
    with pytest.raises(PayloadTooLarge):
        await receive_upload(_Request(body), storage=Storage(tmp_path), prefix="p", max_bytes=10_000)
    assert _stored(tmp_path) == []


async def test_too_many_parts_are_refused(tmp_path):
    body = _part("files", "a.jsonl", b"x") + _part("files", "", b"") * 1000 + b"--B--\r\n"
    with pytest.raises(BadRequest, match="more than 1000 parts"):
        await receive_upload(_Request(body), storage=Storage(tmp_path), prefix="p", max_bytes=MIB)
    assert _stored(tmp_path) == []


async def test_oversized_part_headers_are_refused(tmp_path):
    body = _part("files", "a.jsonl", b"x", extra_headers="X-Padding: " + "p" * 9_000 + "\r\n") + b"--B--\r\n"
    with pytest.raises(BadRequest, match="KB of them"):
        await receive_upload(_Request(body), storage=Storage(tmp_path), prefix="p", max_bytes=MIB)
    many = _part("files", "a.jsonl", b"x", extra_headers="a: \r\n" * 3_000) + b"--B--\r\n"
    with pytest.raises(BadRequest, match="KB of them"):
        await receive_upload(_Request(many), storage=Storage(tmp_path), prefix="p", max_bytes=MIB)


async def test_a_body_of_headers_and_boundaries_alone_is_capped_too(tmp_path):
    padding = "X-Padding: " + "p" * 7_000 + "\r\n"
    body = _part("files", "a.jsonl", b"x") + _part("files", "", b"", extra_headers=padding) * 500 + b"--B--\r\n"
    assert len(body) > 3 * MIB
    with pytest.raises(PayloadTooLarge):
        await receive_upload(_Request(body), storage=Storage(tmp_path), prefix="p", max_bytes=MIB)
    assert _stored(tmp_path) == []


# -- a real server: uvicorn answers a chunked client with the 413 and stops reading ----------------------


def test_live_api_refuses_a_chunked_body_over_a_socket(live_api_url):
    parts = urlsplit(live_api_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"POST /api/auth/logout HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        sent = 0
        chunk = f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n"
        # Keep sending (up to 64 MiB) until the server answers.
        while sent < 64 * MIB and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += CHUNK
        data = b""
        while True:  # the server closes the connection after its answer (the body was not all read)
            try:
                piece = sock.recv(65536)
            except ConnectionResetError:
                break
            if not piece:
                break
            data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b'"error": "PayloadTooLarge"' in body
    assert sent < 16 * MIB  # answered long before the client was done
