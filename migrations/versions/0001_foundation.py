"""Foundation: users, sessions (refresh tokens), teams and memberships, credentials, workers.

Revision ID: 0001_foundation
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Uuid(), primary_key=True)


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "user_account",
        _id(),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("password_changed_at", sa.DateTime(timezone=True)),
        _created_at(),
    )
    op.create_table(
        "team",
        _id(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False, unique=True),
        sa.Column("personal", sa.Boolean(), nullable=False, server_default=sa.false()),
        _created_at(),
    )
    op.create_table(
        "membership",
        _id(),
        sa.Column("team_id", sa.Uuid(), sa.ForeignKey("team.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _created_at(),
        sa.UniqueConstraint("team_id", "user_id"),
        sa.CheckConstraint("role IN ('owner', 'admin', 'member', 'viewer')", name="role"),
    )
    op.create_index("ix_membership_team_id", "membership", ["team_id"])
    op.create_index("ix_membership_user_id", "membership", ["user_id"])
    op.create_table(
        "refresh_token",
        _id(),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("user_agent", sa.String(300)),
        _created_at(),
    )
    op.create_index("ix_refresh_token_user_id", "refresh_token", ["user_id"])
    op.create_index("ix_refresh_token_family_id", "refresh_token", ["family_id"])
    op.create_table(
        "credential",
        _id(),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.String(300)),
        sa.Column("verified_at", sa.DateTime(timezone=True)),
        sa.Column("username", sa.String(200)),
        _created_at(),
        sa.UniqueConstraint("user_id", "provider"),
    )
    op.create_index("ix_credential_user_id", "credential", ["user_id"])
    op.create_table(
        "worker",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("executors", postgresql.JSONB(), nullable=False),
        sa.Column("devices", postgresql.JSONB(), nullable=False),
        sa.Column("max_concurrent_jobs", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        _created_at(),
    )


def downgrade() -> None:
    op.drop_table("worker")
    op.drop_index("ix_credential_user_id", table_name="credential")
    op.drop_table("credential")
    op.drop_index("ix_refresh_token_family_id", table_name="refresh_token")
    op.drop_index("ix_refresh_token_user_id", table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index("ix_membership_user_id", table_name="membership")
    op.drop_index("ix_membership_team_id", table_name="membership")
    op.drop_table("membership")
    op.drop_table("team")
    op.drop_table("user_account")
