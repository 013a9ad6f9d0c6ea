"""Runs Alembic migrations programmatically (used by `tuneforge migrate`, `make run` and tests)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config

from tuneforge.config import REPO_ROOT


def migrations_dir() -> Path:
    return Path(os.environ.get("TUNEFORGE_MIGRATIONS_DIR", REPO_ROOT / "migrations"))


def alembic_config(database_url: str) -> Config:
    config = Config(str(migrations_dir() / "alembic.ini"))
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
