"""Datasets: dataset, dataset_version (immutable), dataset_issue.

Revision ID: 0002_datasets
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_datasets"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("team_id", sa.Uuid(), sa.ForeignKey("team.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("team_id", "name"),
    )
    op.create_index("ix_dataset_team_id", "dataset", ["team_id"])
    op.create_table(
        "dataset_version",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dataset_id", sa.Uuid(), sa.ForeignKey("dataset.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.Uuid(), sa.ForeignKey("dataset_version.id", ondelete="SET NULL")),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(32)),
        sa.Column("mapping", postgresql.JSONB()),
        sa.Column("detection", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("stats", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("issues_summary", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("split", postgresql.JSONB()),
        sa.Column("files", postgresql.JSONB(), nullable=False),
        sa.Column("sources", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("options", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("rows", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("dataset_id", "number"),
        sa.CheckConstraint("status IN ('usable', 'has_errors')", name="status"),
        sa.CheckConstraint("operation IN ('upload', 'drop_invalid', 'mapping', 'split')", name="operation"),
    )
    op.create_index("ix_dataset_version_dataset_id", "dataset_version", ["dataset_id"])
    op.create_index("ix_dataset_version_dataset_id_sha256", "dataset_version", ["dataset_id", "sha256"])
    op.create_table(
        "dataset_issue",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("version_id", sa.Uuid(), sa.ForeignKey("dataset_version.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False, server_default=""),
        sa.Column("row", sa.Integer()),
        sa.Column("file", sa.Text()),
        sa.Column("line", sa.Integer()),
        sa.Column("column", sa.Integer()),
        sa.Column("field", sa.String(100)),
        sa.CheckConstraint("severity IN ('error', 'warning', 'info')", name="severity"),
    )
    op.create_index("ix_dataset_issue_version_id_seq", "dataset_issue", ["version_id", "seq"])


def downgrade() -> None:
    op.drop_table("dataset_issue")
    op.drop_table("dataset_version")
    op.drop_table("dataset")
