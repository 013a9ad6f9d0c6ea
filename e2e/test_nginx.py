"""nginx/nginx.conf, rendered and running in front of the real API: what production users get."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext

from stack import Stack, User, free_port, start_nginx, wait_http_ok, wait_until

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}


@pytest.fixture
def http(stack: Stack):
    with httpx.Client(base_url=stack.base_url, timeout=15, trust_env=False) as client:
        yield client


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def raw_request(url: str, request: str) -> tuple[int, dict[str, str], bytes]:
    """Send a hand-written HTTP/1.1 request; return the answer's status, headers and body."""
    host, port = _address(url)
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request.encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        length = int(headers.get("content-length", "0")) if status != 101 else 0
        while len(body) < length:
            chunk = sock.recv(4096)
            if not chunk:
                break
            body += chunk
    return status, headers, body


def websocket_handshake(url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    host, port = _address(url)
    key = base64.b64encode(os.urandom(16)).decode()
    return raw_request(
        url,
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n\r\n",
    )


@pytest.mark.parametrize("path", ["/", "/settings", "/api/health", "/api/no-such-endpoint"])
def test_security_headers_on_spa_and_api(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == (404 if "no-such" in path else 200)
    for name, value in SECURITY_HEADERS.items():
        # One value each: nginx sets them and hides any copy the API sends.
        assert response.headers.get_list(name) == [value], name
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp
    assert "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers.get("server") == "nginx", "server_tokens off: no version"
    assert len(response.headers.get_list("x-request-id")) == 1


def test_api_docs_get_the_csp_swagger_ui_needs(http: httpx.Client) -> None:
    docs = http.get("/api/docs")
    assert docs.status_code == 200
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert "cdn.jsdelivr.net" not in http.get("/").headers["content-security-policy"]


def test_deep_link_serves_the_spa_uncached(http: httpx.Client, stack: Stack, spa_dist) -> None:
    index = (spa_dist / "index.html").read_text()
    for path in ("/", "/settings", "/training/does-not-exist/yet"):
        response = http.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.text == index
        assert response.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_forever_and_missing_ones_are_404(http: httpx.Client, spa_dist) -> None:
    scripts = sorted((spa_dist / "assets").glob("*.js"), key=lambda p: p.stat().st_size)
    assert scripts, "the SPA build has no JavaScript in assets/"
    biggest = scripts[-1]
    response = http.get(f"/assets/{biggest.name}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers.get("content-encoding") == "gzip"
    assert response.content == biggest.read_bytes()  # httpx decodes gzip

    missing = http.get("/assets/index-0000dead.js")
    assert missing.status_code == 404, "a missing asset must not be answered with index.html"
    assert "immutable" not in missing.headers.get("cache-control", "")


def test_api_responses_pass_through_unchanged(http: httpx.Client, stack: Stack) -> None:
    for path, status in (("/api/no-such-endpoint", 404), ("/api/health", 200)):
        proxied = http.get(path)
        direct = httpx.get(stack.api_url + path, timeout=15, trust_env=False)
        assert proxied.status_code == direct.status_code == status
        assert proxied.json() == direct.json()
        # The API decides its own content type and caching.
        assert proxied.headers["content-type"] == direct.headers["content-type"]
        assert proxied.headers.get("cache-control") == direct.headers.get("cache-control")


def test_api_down_gives_the_spa_a_readable_json_error(stack: Stack, spa_dist, tmp_path) -> None:
    # A second nginx from the same config, in front of a port where no API listens.
    port = free_port()
    nginx = start_nginx(workdir=tmp_path, api_address=f"127.0.0.1:{free_port()}", spa_root=spa_dist, port=port)
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/", timeout=20, process=nginx)
        response = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=15, trust_env=False)
    finally:
        nginx.stop()
    assert response.status_code == 503
    assert response.json()["error"] == "ServiceUnavailable"
    assert "Try again" in response.json()["detail"]
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert response.headers["x-frame-options"] == "DENY"


def test_request_id_is_kept_end_to_end(http: httpx.Client, stack: Stack) -> None:
    mine = f"e2e-{uuid.uuid4().hex}"
    response = http.get("/api/health", headers={"X-Request-ID": mine})
    assert response.headers["x-request-id"] == mine
    stack.api.wait_for_log(mine)

    # Without one (or with a malformed one) nginx makes an id, and nginx and the API log the same.
    for sent in ({}, {"X-Request-ID": "not a valid id"}):
        response = http.get("/api/health", headers=sent)
        generated = response.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated), generated
        stack.nginx.wait_for_log(f"rid={generated}")
        stack.api.wait_for_log(generated)


def test_websocket_upgrade_reaches_the_api(stack: Stack) -> None:
    path = f"/api/ws/e2e-probe-{uuid.uuid4().hex[:8]}"
    direct_status, _, _ = websocket_handshake(stack.api_url, path)
    proxied_status, _, _ = websocket_handshake(stack.base_url, path)

    # Without the Upgrade headers forwarded the API would see a plain GET (a 404 JSON), and nginx's
    # own failures are 400/404/502/504: the proxied answer must be the API's WebSocket answer.
    assert proxied_status not in (400, 404, 502, 504), proxied_status
    assert proxied_status in (101, 403), proxied_status
    assert proxied_status == direct_status
    stack.api.wait_for_log(path)  # the API itself answered the proxied handshake


def test_websocket_messages_flow_both_ways_through_nginx(stack: Stack, user: User) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    # The job-events socket: the client signs in with its first message, the server answers by
    # closing with 4404 for a job that does not exist. Both directions cross nginx.
    url = stack.base_url.replace("http://", "ws://", 1) + f"/api/ws/jobs/{uuid.uuid4()}"
    with connect(url, open_timeout=10, proxy=None) as ws:
        ws.send(json.dumps({"type": "auth", "token": user.access_token}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404, closed.value


UPLOAD_PATHS = [f"/api/teams/{uuid.uuid4()}/datasets", f"/api/teams/{uuid.uuid4()}/datasets/{uuid.uuid4()}/versions"]


@pytest.mark.parametrize("path", UPLOAD_PATHS)
def test_uploads_up_to_2g_go_to_the_api_and_larger_ones_are_refused(stack: Stack, path: str) -> None:
    host, port = _address(stack.base_url)
    # The API's 2 GiB file cap plus the 2 MiB it allows for the multipart envelope, plus one byte.
    too_big = (2048 + 2) * 1024**2 + 1
    status, headers, body = raw_request(
        stack.base_url,
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {too_big}\r\nConnection: close\r\n\r\n",
    )
    assert status == 413
    assert headers["content-type"].startswith("application/json")
    assert headers["x-frame-options"] == "DENY"
    assert b'"error": "PayloadTooLarge"' in body and b"2 GiB" in body

    # Above 1 MiB but well under the cap: it reaches the API (which wants a signed-in user first).
    with httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False) as client:
        response = client.post(path, content=b"x" * (3 * 1024 * 1024))
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/upload-probe", f"/api/teams/{uuid.uuid4()}/jobs"])
def test_other_api_routes_take_at_most_1_mib(stack: Stack, path: str) -> None:
    """One 100 MiB unauthenticated POST must not reach the API, which would read it whole before validating."""
    with httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False) as client:
        response = client.post(path, content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json()["error"] == "PayloadTooLarge"
        assert "1 MiB" in response.json()["detail"]
        assert response.headers["x-frame-options"] == "DENY"
        # Within the limit it goes through as before.
        small = client.post("/api/auth/login", json={"email": "x@example.com", "password": "p" * 1000 + "x"})
        assert small.status_code == 422

        # Outside /api the small default applies too.
        assert client.post("/settings", content=b"x" * (2 * 1024 * 1024)).status_code == 413


def test_the_api_sees_the_peer_address_not_a_client_chosen_x_forwarded_for(stack: Stack) -> None:
    """nginx replaces X-Forwarded-For with the address it saw, so rotating it buys no extra guesses."""
    mine = f"e2e-xff-{uuid.uuid4().hex}"
    with httpx.Client(base_url=stack.base_url, timeout=15, trust_env=False) as client:
        client.get("/api/health", headers={"X-Request-ID": mine, "X-Forwarded-For": "203.0.113.77", "X-Real-IP": "203.0.113.78"})

    def access_lines() -> list[dict]:
        lines = stack.api.log_path.read_text(errors="replace").splitlines()
        return [json.loads(x) for x in lines if mine in x and '"tuneforge.access"' in x]

    wait_until(lambda: bool(access_lines()), timeout=10, what="the API's access log line")
    assert access_lines()[0]["client"] == "127.0.0.1", access_lines()


def test_csp_lets_the_spa_open_same_origin_websockets(context: BrowserContext, stack: Stack) -> None:
    # Not the `page` fixture: this test provokes a violation on purpose, which that fixture fails on.
    page = context.new_page()
    page.goto("/login")
    violations = page.evaluate(
        """async () => {
            const violations = [];
            document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective + " " + e.blockedURI));
            const url = location.origin.replace(/^http/, "ws") + "/api/ws/e2e-csp-probe";
            await new Promise((resolve) => {
                const ws = new WebSocket(url);
                ws.onopen = () => { ws.close(); resolve(); };
                ws.onerror = () => resolve();
                ws.onclose = () => resolve();
                setTimeout(resolve, 5000);
            });
            // A deliberately foreign connection must be blocked, proving the policy is enforced.
            try { await fetch("http://203.0.113.1:9/blocked", { mode: "no-cors" }); } catch (e) {}
            await new Promise((resolve) => setTimeout(resolve, 200));
            return violations;
        }"""
    )
    assert not [v for v in violations if "e2e-csp-probe" in v], violations
    assert any(v.startswith("connect-src") and "203.0.113.1" in v for v in violations), violations


def test_serves_the_spa_from_a_checkout_other_users_cannot_read() -> None:
    """`make test` from a private directory (a 0700 temporary folder, /root): nginx started as root
    gives its workers to `nobody` unless told otherwise, and they could not read the SPA (500s).
    The harness runs them as its own user (stack.workers_user_directive)."""
    import shutil
    import tempfile
    from pathlib import Path

    private = Path(tempfile.mkdtemp(prefix="tuneforge-private-"))
    try:
        private.chmod(0o700)  # what mkdtemp makes; said again, since it is the point
        spa = private / "checkout" / "frontend" / "dist"
        (spa / "assets").mkdir(parents=True)
        (spa / "index.html").write_text("<!doctype html><title>TuneForge</title><div id=root></div>\n")
        (spa / "assets" / "app-1234.js").write_text("console.log('TuneForge');\n")
        for path in [spa, spa / "assets", *spa.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)  # a checkout's modes; only the parent is private
        port = free_port()
        nginx = start_nginx(workdir=private / "nginx", api_address="127.0.0.1:9", spa_root=spa, port=port)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: httpx.get(f"{base}/", timeout=2, trust_env=False).status_code > 0, timeout=20,
                       what="nginx to answer", process=nginx)
            with httpx.Client(base_url=base, timeout=10, trust_env=False) as client:
                for path in ("/", "/settings", "/assets/app-1234.js"):
                    response = client.get(path)
                    assert response.status_code == 200, (path, response.status_code, nginx.log_tail(20))
                assert "TuneForge" in client.get("/settings").text  # the SPA's history fallback
        finally:
            nginx.stop()
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_workers_run_as_the_harness_user_only_where_nginx_can_switch_users() -> None:
    from stack import workers_user_directive

    line = workers_user_directive()
    if os.geteuid() == 0:
        assert line.startswith("user root ") and line.endswith(";\n")
    else:
        assert line == ""  # nginx not started as root cannot switch users: its workers are this user
