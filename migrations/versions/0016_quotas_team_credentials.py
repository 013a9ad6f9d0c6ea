"""Team quotas and team credentials (issue #12): `team_quota` (limits, null = unlimited; the row is the
lock launches and uploads take), `team_credential` (a team's Hugging Face / Modal token, encrypted like
`credential`), `team_ollama_url`, and on `job` which credential each service got (`credential_sources`)
and the bytes its output holds (`output_bytes`, for the storage meter). Publications already record
theirs in `publication.credential`.

Downgrade drops them (team tokens and limits are lost; members' own tokens are unaffected).

Revision ID: 0016_quotas_team_credentials
Revises: 0015_audit_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016_quotas_team_credentials"
down_revision = "0015_audit_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_quota",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("max_concurrent_jobs", sa.Integer(), nullable=True),
        sa.Column("gpu_hours_per_month", sa.Float(), nullable=True),
        sa.Column("modal_usd_per_month", sa.Float(), nullable=True),
        sa.Column("storage_bytes", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_team_quota_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by"], ["user_account.id"], name=op.f("fk_team_quota_updated_by_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_quota")),
    )
    op.create_table(
        "team_credential",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.Enum("huggingface", "modal", name="team_credential_provider", native_enum=False,
                                      length=32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.Enum("unverified", "valid", "invalid", name="team_credential_status", native_enum=False,
                                    length=16), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_team_credential_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["saved_by"], ["user_account.id"], name=op.f("fk_team_credential_saved_by_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_credential")),
        sa.UniqueConstraint("team_id", "provider", name=op.f("uq_team_credential_team_id")),
    )
    op.create_index(op.f("ix_team_credential_team_id"), "team_credential", ["team_id"], unique=False)
    op.create_table(
        "team_ollama_url",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_team_ollama_url_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_by"], ["user_account.id"], name=op.f("fk_team_ollama_url_set_by_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_ollama_url")),
    )
    op.add_column("job", sa.Column("credential_sources", postgresql.JSONB(astext_type=sa.Text()),
                                   server_default="{}", nullable=False))
    op.add_column("job", sa.Column("output_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("job", "output_bytes")
    op.drop_column("job", "credential_sources")
    op.drop_table("team_ollama_url")
    op.drop_index(op.f("ix_team_credential_team_id"), table_name="team_credential")
    op.drop_table("team_credential")
    op.drop_table("team_quota")
