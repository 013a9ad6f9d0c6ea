"""Imports every domain's tables so that Base.metadata is complete (for Alembic and tests).

Listed explicitly: `tuneforge.training.loading` is ML code (weights), not tables.
"""

from __future__ import annotations

import importlib

TABLE_MODULES = [
    "tuneforge.auth.models",
    "tuneforge.api_tokens.models",
    "tuneforge.teams.models",
    "tuneforge.credentials.models",
    "tuneforge.worker_registry.models",
    "tuneforge.datasets.models",
    "tuneforge.jobs.models",
    "tuneforge.registry.models",
    "tuneforge.playground.models",
    "tuneforge.publishing.models",
    "tuneforge.audit.models",
    "tuneforge.quotas.models",
]


def import_all_tables() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
