"""Audit log (tuneforge.audit): one row per audited action; append-only at the database level too.

A trigger refuses UPDATE, DELETE and TRUNCATE of audit_event unless the transaction ran
`SET LOCAL tuneforge.audit_prune = 'on'` (retention pruning does, nothing else). team_id has no
foreign key: a deleted team's events keep its id (and stay unchanged) instead of being rewritten.

Downgrade drops the table (the audit history is lost).

Revision ID: 0015_audit_log
Revises: 0014_api_tokens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015_audit_log"
down_revision = "0014_api_tokens"
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('tuneforge.audit_prune', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit events are only ever added; retention pruning removes old ones.';
END
$$
"""
# One statement per execute: asyncpg prepares each.
TRIGGERS = [
    """CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("target_label", sa.String(length=300), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_team_id_created_at", "audit_event", ["team_id", "created_at"], unique=False)
    op.create_index("ix_audit_event_actor_user_id_created_at", "audit_event", ["actor_user_id", "created_at"], unique=False)
    op.create_index("ix_audit_event_action", "audit_event", ["action"], unique=False)
    op.create_index("ix_audit_event_created_at", "audit_event", ["created_at"], unique=False)
    op.execute(APPEND_ONLY)
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE audit_event")
    op.execute("DROP FUNCTION audit_event_append_only()")
