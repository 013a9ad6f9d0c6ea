"""The API's own security headers (used when it serves the SPA without nginx) are nginx.conf's."""

from __future__ import annotations

import re

import httpx
import pytest

from tuneforge.config import REPO_ROOT
from tuneforge.web import security_headers

NGINX_CONF = REPO_ROOT / "nginx" / "nginx.conf"
# Set by nginx.conf too, but they are not security headers: caching and tracing have their own rules.
NOT_SECURITY = {"cache-control", "x-request-id"}


def _strip_quotes(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def nginx_security_headers(conf=NGINX_CONF) -> tuple[dict[str, str], dict[str, str]]:
    """({header: value} from the server's add_header lines, {uri: csp} from the $tuneforge_csp map)."""
    text = re.sub(r"#[^\n]*", "", conf.read_text())
    headers = {
        name.lower(): _strip_quotes(value)
        for name, value in re.findall(r'^\s*add_header\s+(\S+)\s+("[^"]*"|\S+)(?:\s+always)?\s*;', text, re.M)
    }
    csp_map = re.search(r"map\s+\$uri\s+\$tuneforge_csp\s*\{(.*?)\}", text, re.S)
    assert csp_map, "nginx.conf has no `map $uri $tuneforge_csp` block"
    csp = {uri: _strip_quotes(value) for uri, value in re.findall(r'^\s*(\S+)\s+("[^"]*")\s*;', csp_map.group(1), re.M)}
    return {k: v for k, v in headers.items() if k not in NOT_SECURITY}, csp


def test_python_headers_match_nginx_conf():
    headers, csp = nginx_security_headers()
    assert headers.pop("content-security-policy") == "$tuneforge_csp"
    assert headers == {k.lower(): v for k, v in security_headers.SECURITY_HEADERS.items()}
    assert csp == {
        "default": security_headers.CONTENT_SECURITY_POLICY,
        security_headers.DOCS_PATH: security_headers.DOCS_CONTENT_SECURITY_POLICY,
    }
    # And nginx hides every copy the API sends, so a response never carries two.
    hidden = set(re.findall(r"proxy_hide_header\s+(\S+)\s*;", NGINX_CONF.read_text()))
    assert {"Content-Security-Policy", *security_headers.SECURITY_HEADERS} <= hidden


def test_the_parser_notices_a_changed_header(tmp_path):
    original = NGINX_CONF.read_text()
    assert 'X-Frame-Options "DENY"' in original and "frame-ancestors 'none'\"" in original
    changed = original.replace('X-Frame-Options "DENY"', 'X-Frame-Options "SAMEORIGIN"')
    changed = changed.replace("frame-ancestors 'none'\"", "frame-ancestors 'self'\"")
    (tmp_path / "nginx.conf").write_text(changed)
    headers, csp = nginx_security_headers(tmp_path / "nginx.conf")
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert csp["default"].endswith("frame-ancestors 'self'")


@pytest.fixture
async def spa_client(settings, db, tmp_path):
    """The app serving a built SPA itself, as `make run` does."""
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from tuneforge.web.app import create_app

    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>TuneForge</title>")
    (tmp_path / "assets" / "app-1234.js").write_text("console.log(1)")
    app = create_app(settings.model_copy(update={"spa_dir": tmp_path}))
    app.state.engine = db.engine
    app.state.sessionmaker = async_sessionmaker(
        bind=db, expire_on_commit=False, join_transaction_mode="create_savepoint", class_=AsyncSession
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize("path", ["/", "/settings", "/assets/app-1234.js", "/api/health", "/api/no-such-endpoint"])
async def test_the_api_serving_the_spa_sends_nginx_security_headers(spa_client, path):
    response = await spa_client.get(path)
    assert response.status_code in (200, 404)
    expected, csp = nginx_security_headers()
    expected["content-security-policy"] = csp["default"]
    for name, value in expected.items():
        assert response.headers.get_list(name) == [value], name


async def test_swagger_ui_gets_the_docs_policy(spa_client):
    response = await spa_client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == nginx_security_headers()[1]["/api/docs"]
