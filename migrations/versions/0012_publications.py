"""Publications: a model version published to the Hugging Face Hub, to an Ollama server or as GGUF files,
with progress, result and verification (tuneforge.publishing).

Downgrade drops the table (the history is lost; GGUF files stay in storage under publications/).

Revision ID: 0012_publications
Revises: 0011_playground
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_publications"
down_revision = "0011_playground"
branch_labels = None
depends_on = None

_JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "publication",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("target", sa.Enum("hub", "ollama", "gguf", name="publication_target", native_enum=False, length=16), nullable=False),
        sa.Column("options", _JSONB, nullable=False),
        sa.Column("status", sa.Enum("queued", "running", "succeeded", "failed", "cancelled", name="publication_status",
                                    native_enum=False, length=16), nullable=False),
        sa.Column("progress", _JSONB, nullable=False),
        sa.Column("result", _JSONB, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("credential", sa.String(length=32), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("worker_name", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_publication_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_publication_user_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["version_id"], ["model_version.id"], name=op.f("fk_publication_version_id_model_version"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
    )
    op.create_index(op.f("ix_publication_team_id"), "publication", ["team_id"], unique=False)
    op.create_index("ix_publication_version_id_created_at", "publication", ["version_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_publication_version_id_created_at", table_name="publication")
    op.drop_index(op.f("ix_publication_team_id"), table_name="publication")
    op.drop_table("publication")
