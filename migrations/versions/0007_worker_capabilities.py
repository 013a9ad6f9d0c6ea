"""Workers report what they can train: `worker.capabilities` holds training.capabilities() as computed
on the worker, whose `target` (CUDA, bf16, packages) the API validates that worker's jobs against and
builds /api/info from, instead of probing its own host. Rows of workers that registered before hold {}.

Revision ID: 0007_worker_capabilities
Revises: 0006_login_throttle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_worker_capabilities"
down_revision = "0006_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "worker",
        sa.Column("capabilities", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def downgrade() -> None:
    op.drop_column("worker", "capabilities")
