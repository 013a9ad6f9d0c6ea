"""Single sign-on (OpenID Connect): `user_identity` (the provider's (issuer, subject) linked to an account),
`sso_login_code` (the one-time code the callback hands to the SPA), how each session signed in
(`refresh_token.via`: "password" or "sso") and a team's SSO-only setting (`team.sso_only`).

Downgrade drops them (SSO links are lost; accounts and their password sign-ins are unaffected).

Revision ID: 0017_sso
Revises: 0016_quotas_team_credentials
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_sso"
down_revision = "0016_quotas_team_credentials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_identity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_user_identity_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identity")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_user_identity_issuer")),
    )
    op.create_index(op.f("ix_user_identity_user_id"), "user_identity", ["user_id"], unique=False)
    op.create_table(
        "sso_login_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_sso_login_code_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_sso_login_code")),
    )
    op.create_index(op.f("ix_sso_login_code_user_id"), "sso_login_code", ["user_id"], unique=False)
    op.create_index(op.f("ix_sso_login_code_expires_at"), "sso_login_code", ["expires_at"], unique=False)
    op.add_column("refresh_token", sa.Column("via", sa.String(length=16), server_default="password", nullable=False))
    op.add_column("team", sa.Column("sso_only", sa.Boolean(), server_default=sa.text("false"), nullable=False))


def downgrade() -> None:
    op.drop_column("team", "sso_only")
    op.drop_column("refresh_token", "via")
    op.drop_index(op.f("ix_sso_login_code_expires_at"), table_name="sso_login_code")
    op.drop_index(op.f("ix_sso_login_code_user_id"), table_name="sso_login_code")
    op.drop_table("sso_login_code")
    op.drop_index(op.f("ix_user_identity_user_id"), table_name="user_identity")
    op.drop_table("user_identity")
