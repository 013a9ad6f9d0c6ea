"""The layering rules of docs/architecture.md, checked in a fresh interpreter each.

- The API process never loads the worker package nor the Modal SDK.
- The core (database module, error hierarchy, ORM tables, domain services and repositories) and
  the worker process load no web framework (FastAPI, Starlette, slowapi).
- The training library imports nothing else of TuneForge.

Each check imports the modules in a new Python process and reads `sys.modules`, so an import added
anywhere down the chain fails here, naming the chain's culprit.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import textwrap

import pytest

import tuneforge

WEB = ("fastapi", "starlette", "slowapi")


def _loaded_after(code: str) -> list[str]:
    """Module names loaded by a fresh interpreter after running `code`."""
    script = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _of(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in roots or m in roots or m.startswith(tuple(r + "." for r in roots))]


def _domain_modules(suffixes: tuple[str, ...]) -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.walk_packages(tuneforge.__path__, "tuneforge.")
        if m.name.rsplit(".", 1)[-1] in suffixes and not m.name.startswith(("tuneforge.web", "tuneforge.training"))
    )


def test_the_api_application_loads_neither_the_worker_nor_modal():
    modules = _loaded_after(
        """
        from tuneforge.config import Settings
        from tuneforge.web.app import create_app
        app = create_app(Settings(environment="test", jwt_secret="x" * 48, encryption_keys=[], spa_dir=None, database_url=None))
        app.openapi()
        """
    )
    assert _of(modules, ("tuneforge.worker", "modal")) == []
    assert "fastapi" in modules  # the check itself works: the app did load


def test_the_core_loads_no_web_framework():
    core = ["tuneforge.db", "tuneforge.errors", "tuneforge.storage", "tuneforge.config", "tuneforge.security", "tuneforge.log"]
    core += _domain_modules(("models", "service", "repository", "lifecycle", "event_store", "queue", "resolve", "base_models"))
    assert "tuneforge.jobs.service" in core and "tuneforge.datasets.service" in core
    modules = _loaded_after(
        "import importlib\nfrom tuneforge.tables import import_all_tables\nimport_all_tables()\n"
        + "".join(f"importlib.import_module({name!r})\n" for name in core)
    )
    assert _of(modules, WEB) == []


def test_the_worker_process_loads_no_web_framework():
    modules = _loaded_after("import tuneforge.worker.main, tuneforge.worker.supervisor, tuneforge.worker.modal_executor")
    assert _of(modules, WEB) == []
    assert "tuneforge.worker.supervisor" in modules


def test_the_training_library_imports_nothing_else_of_tuneforge():
    library = sorted(m.name for m in pkgutil.walk_packages(tuneforge.__path__, "tuneforge.") if m.name.startswith("tuneforge.training."))
    library = [m for m in library if not m.endswith("__main__") and "unsloth" not in m]
    modules = _loaded_after("import importlib\n" + "".join(f"importlib.import_module({name!r})\n" for name in library))
    outside = [m for m in modules if m.startswith("tuneforge.") and not m.startswith("tuneforge.training")]
    assert outside == []


@pytest.mark.parametrize("forbidden", ["fastapi", "tuneforge.worker.supervisor"])
def test_the_check_fails_when_a_forbidden_import_is_added(forbidden):
    # The same machinery sees an import slipped into the core: the rule is not vacuous.
    modules = _loaded_after(f"import tuneforge.errors\nimport {forbidden}")
    assert _of(modules, WEB + ("tuneforge.worker",)) != []
