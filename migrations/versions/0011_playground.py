"""The playground: chat turns, their answers (generations), feedback and the team's feedback datasets,
and batch comparisons; dataset versions made from feedback (operation 'feedback').

Downgrade drops the tables (turns, answers and feedback rows are lost; the feedback datasets and their
versions stay, recorded as uploads).

Revision ID: 0011_playground
Revises: 0010_model_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_playground"
down_revision = "0010_model_registry"
branch_labels = None
depends_on = None

_OLD = "operation IN ('upload', 'drop_invalid', 'mapping', 'split', 'fill')"
_NEW = "operation IN ('upload', 'drop_invalid', 'mapping', 'split', 'fill', 'feedback')"
_JSONB = postgresql.JSONB(astext_type=sa.Text())


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    op.drop_constraint(op.f("ck_dataset_version_operation"), "dataset_version", type_="check")
    op.create_check_constraint(op.f("ck_dataset_version_operation"), "dataset_version", _NEW)

    op.create_table(
        "playground_turn",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("messages", _JSONB, nullable=False),
        sa.Column("params", _JSONB, nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("pick", sa.String(length=8), nullable=True),
        sa.Column("picked_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_playground_turn_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_playground_turn_user_id_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playground_turn")),
    )
    op.create_index("ix_playground_turn_team_id_created_at", "playground_turn", ["team_id", "created_at"], unique=False)

    op.create_table(
        "generation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("turn_id", sa.Uuid(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("target", _JSONB, nullable=False),
        sa.Column("status", sa.Enum("queued", "loading", "running", "done", "failed", "cancelled", name="generation_status",
                                    native_enum=False, length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("finish_reason", sa.String(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("stats", _JSONB, nullable=False),
        sa.Column("rendered_prompt", sa.Text(), nullable=True),
        sa.Column("worker_name", sa.String(length=200), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=True),
        sa.Column("edited_text", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_generation_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["turn_id"], ["playground_turn.id"], name=op.f("fk_generation_turn_id_playground_turn"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation")),
        sa.UniqueConstraint("turn_id", "slot", name=op.f("uq_generation_turn_id")),
    )
    op.create_index(op.f("ix_generation_team_id"), "generation", ["team_id"], unique=False)

    op.create_table(
        "feedback_dataset",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("preference", "rating", "edit", name="feedback_kind", native_enum=False, length=16), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], name=op.f("fk_feedback_dataset_dataset_id_dataset"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_feedback_dataset_team_id_team"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "kind", name=op.f("pk_feedback_dataset")),
    )

    op.create_table(
        "batch_compare",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("dataset_version_id", sa.Uuid(), nullable=True),
        sa.Column("targets", _JSONB, nullable=False),
        sa.Column("params", _JSONB, nullable=False),
        sa.Column("max_rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("queued", "running", "done", "failed", "cancelled", name="batch_status", native_enum=False,
                                    length=16), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("rows", _JSONB, nullable=False),
        sa.Column("metrics", _JSONB, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("worker_name", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(["dataset_version_id"], ["dataset_version.id"], name=op.f("fk_batch_compare_dataset_version_id_dataset_version"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_batch_compare_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_batch_compare_user_id_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_compare")),
    )
    op.create_index("ix_batch_compare_team_id_created_at", "batch_compare", ["team_id", "created_at"], unique=False)

    op.create_table(
        "playground_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("preference", "rating", "edit", name="feedback_kind", native_enum=False, length=16), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("row", _JSONB, nullable=False),
        sa.Column("turn_id", sa.Uuid(), nullable=True),
        sa.Column("generation_id", sa.Uuid(), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("batch_row", sa.Integer(), nullable=True),
        sa.Column("dataset_version_id", sa.Uuid(), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(["batch_id"], ["batch_compare.id"], name=op.f("fk_playground_feedback_batch_id_batch_compare"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["dataset_version_id"], ["dataset_version.id"], name=op.f("fk_playground_feedback_dataset_version_id_dataset_version"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["generation_id"], ["generation.id"], name=op.f("fk_playground_feedback_generation_id_generation"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_playground_feedback_team_id_team"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["turn_id"], ["playground_turn.id"], name=op.f("fk_playground_feedback_turn_id_playground_turn"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_playground_feedback_user_id_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playground_feedback")),
    )
    op.create_index("ix_playground_feedback_team_id_kind_created_at", "playground_feedback", ["team_id", "kind", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_playground_feedback_team_id_kind_created_at", table_name="playground_feedback")
    op.drop_table("playground_feedback")
    op.drop_index("ix_batch_compare_team_id_created_at", table_name="batch_compare")
    op.drop_table("batch_compare")
    op.drop_table("feedback_dataset")
    op.drop_index(op.f("ix_generation_team_id"), table_name="generation")
    op.drop_table("generation")
    op.drop_index("ix_playground_turn_team_id_created_at", table_name="playground_turn")
    op.drop_table("playground_turn")
    op.execute("UPDATE dataset_version SET operation = 'upload' WHERE operation = 'feedback'")
    op.drop_constraint(op.f("ck_dataset_version_operation"), "dataset_version", type_="check")
    op.create_check_constraint(op.f("ck_dataset_version_operation"), "dataset_version", _OLD)
