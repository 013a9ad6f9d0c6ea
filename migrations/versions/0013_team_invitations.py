"""Team invitations: by email, with an expiring single-use link whose token is stored only as its
sha256 (tuneforge.teams).

Downgrade drops the table (pending invitations are lost; memberships stay).

Revision ID: 0013_team_invitations
Revises: 0012_publications
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_team_invitations"
down_revision = "0012_publications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.Enum("owner", "admin", "member", "viewer", name="team_invitation_role", native_enum=False,
                                  length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_team_invitation_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["user_account.id"], name=op.f("fk_team_invitation_invited_by_user_account"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["accepted_by"], ["user_account.id"], name=op.f("fk_team_invitation_accepted_by_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_team_invitation_token_hash")),
    )
    op.create_index(op.f("ix_team_invitation_team_id"), "team_invitation", ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_team_invitation_team_id"), table_name="team_invitation")
    op.drop_table("team_invitation")
