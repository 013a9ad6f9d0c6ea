"""A year of a big team's analytics served from one index (bench/analytics.py, issue #12).

The analytics read every job of the period (20,000 for a year of the bench's big team). Reading them
from the table meant reading rows that carry the stored configuration, spec and result (~1 KB+ of
JSON each): ~150 ms of a 420 ms p95. Now the period is an index-only scan of
`ix_job_team_id_created_at_covering`, which replaces `ix_job_team_id_created_at` (same keys, so the
jobs list keeps using it) and carries every column the analytics read. Three of those were
expressions over columns that change with every event (`updated_at`, `latest_metrics`) or are JSON
(`result`); they become generated columns that only change when the job stops, so per-event
updates of a running job stay HOT:

- `final_loss`: a succeeded job's `result.metrics.final_loss`, else its last reported `loss`;
- `eval_loss`: a succeeded job's `result.metrics.eval_loss`;
- `compute_end_at`: where its compute time ends: `finished_at`; null while running or cancelling
  (the time of the request then); else the last update (an interrupted or re-queued run).

Adding generated columns rewrites `job` (seconds for 100,000 jobs). Index-only scans need the table's
visibility map: autovacuum sets it after the rewrite (the bench runs VACUUM to measure at once).

Revision ID: 0019_list_indexes
Revises: 0018_analytics_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_list_indexes"
down_revision = "0018_analytics_indexes"
branch_labels = None
depends_on = None

FINAL_LOSS = (
    "CASE WHEN status = 'succeeded' THEN coalesce("
    "CASE WHEN jsonb_typeof(result -> 'metrics' -> 'final_loss') = 'number' THEN (result -> 'metrics' ->> 'final_loss')::float8 END, "
    "CASE WHEN jsonb_typeof(latest_metrics -> 'loss') = 'number' THEN (latest_metrics ->> 'loss')::float8 END) END"
)
EVAL_LOSS = (
    "CASE WHEN status = 'succeeded' AND jsonb_typeof(result -> 'metrics' -> 'eval_loss') = 'number' "
    "THEN (result -> 'metrics' ->> 'eval_loss')::float8 END"
)
COMPUTE_END_AT = (
    "CASE WHEN finished_at IS NOT NULL THEN finished_at WHEN status IN ('running', 'cancelling') THEN NULL "
    "ELSE coalesce(updated_at, started_at) END"
)
COVERED = [
    "id", "name", "status", "method", "created_by", "started_at", "finished_at", "executor", "cost_usd", "error_kind",
    "gpu_seconds", "needs_cuda", "device_type", "compute_end_at", "final_loss", "eval_loss",
]


def upgrade() -> None:
    # One ALTER TABLE: the table is rewritten once for the three columns.
    op.execute(
        f"ALTER TABLE job ADD COLUMN final_loss double precision GENERATED ALWAYS AS ({FINAL_LOSS}) STORED, "
        f"ADD COLUMN eval_loss double precision GENERATED ALWAYS AS ({EVAL_LOSS}) STORED, "
        f"ADD COLUMN compute_end_at timestamp with time zone GENERATED ALWAYS AS ({COMPUTE_END_AT}) STORED"
    )
    op.create_index("ix_job_team_id_created_at_covering", "job", ["team_id", "created_at"], unique=False,
                    postgresql_include=COVERED)
    op.drop_index("ix_job_team_id_created_at", table_name="job")
    op.execute("ANALYZE job")


def downgrade() -> None:
    op.create_index("ix_job_team_id_created_at", "job", ["team_id", "created_at"], unique=False)
    op.drop_index("ix_job_team_id_created_at_covering", table_name="job")
    op.drop_column("job", "compute_end_at")
    op.drop_column("job", "eval_loss")
    op.drop_column("job", "final_loss")
