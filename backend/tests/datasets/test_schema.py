"""The dataset tables the code declares are the ones migration 0002 creates."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tuneforge.datasets import models  # noqa: F401 — registers the tables
from tuneforge.db import Base
from tuneforge.tables import import_all_tables

_OUR_NAMES = re.compile(r"\b(dataset|dataset_version|dataset_issue)\b")


def _ours(diff) -> bool:
    return bool(_OUR_NAMES.search(repr(diff)))


async def test_models_match_the_migration(engine):
    import_all_tables()

    def compare(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert [d for d in diffs if _ours(d)] == []
