"""Whose Modal token pays for a job: `job.billed_user_id`.

Set to whoever launches, retries or resumes a Modal job (tuneforge.jobs.billing); an automatic resume
keeps it. Existing Modal jobs were billed to their creator, so that is where they start.

Revision ID: 0008_job_billing
Revises: 0007_worker_capabilities
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_job_billing"
down_revision = "0007_worker_capabilities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job", sa.Column("billed_user_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_job_billed_user_id_user_account", "job", "user_account", ["billed_user_id"], ["id"], ondelete="SET NULL"
    )
    op.execute("UPDATE job SET billed_user_id = created_by WHERE executor = 'modal'")


def downgrade() -> None:
    op.drop_constraint("fk_job_billed_user_id_user_account", "job", type_="foreignkey")
    op.drop_column("job", "billed_user_id")
