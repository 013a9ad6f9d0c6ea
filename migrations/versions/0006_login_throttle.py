"""Per-account sign-in throttle: failed sign-ins per email, and until when the email is locked.

Keyed by the email as typed (normalised), not by user id, so unknown emails are throttled exactly
like real ones and the throttle does not reveal which accounts exist. See tuneforge.auth.throttle.

Revision ID: 0006_login_throttle
Revises: 0005_job_config_shape
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_login_throttle"
down_revision = "0005_job_config_shape"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_last_failure_at", table_name="login_throttle")
    op.drop_table("login_throttle")
