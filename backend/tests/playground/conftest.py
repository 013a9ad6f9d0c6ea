"""The live stack of the job tests (its own database, a real API process) serves the playground tests too."""

from tests.jobs.conftest import live_api, live_db_url, live_env, log_dir  # noqa: F401 — fixtures
