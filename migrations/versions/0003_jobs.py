"""Training jobs, job events, job templates, and the procrastinate queue schema.

Revision ID: 0003_jobs
Revises: 0002_datasets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_jobs"
down_revision = "0002_datasets"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("team_id", sa.Uuid(), sa.ForeignKey("team.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("adapter", sa.String(16), nullable=False),
        sa.Column("base_model", sa.Text(), nullable=False),
        sa.Column("dataset_version_id", sa.Uuid(), sa.ForeignKey("dataset_version.id", ondelete="RESTRICT")),
        sa.Column("config", postgresql.JSONB(), nullable=False),
        sa.Column("resolved_spec", postgresql.JSONB()),
        sa.Column("estimate", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("executor", sa.String(16), nullable=False),
        sa.Column("gpu_type", sa.String(32)),
        sa.Column("needs_cuda", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("auto_resume", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("timeout_minutes", sa.Integer(), nullable=False, server_default="1440"),
        sa.Column("cloned_from_id", sa.Uuid(), sa.ForeignKey("job.id", ondelete="SET NULL")),
        sa.Column("queue_job_id", sa.BigInteger()),
        sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("worker_name", sa.String(200)),
        sa.Column("last_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("step", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total_steps", sa.Integer()),
        sa.Column("latest_metrics", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("last_checkpoint", sa.Text()),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("exit_code", sa.Integer()),
        sa.Column("stderr_tail", sa.Text()),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("message", sa.Text()),
        sa.Column("hint", sa.Text()),
        sa.Column("output_key", sa.Text()),
        sa.Column("result", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("gpu_seconds", sa.Float()),
        sa.Column("cost_usd", sa.Float()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        _created_at(),
    )
    op.create_index("ix_job_team_id_created_at", "job", ["team_id", "created_at"])
    op.create_index("ix_job_dataset_version_id", "job", ["dataset_version_id"])
    op.create_table(
        "job_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("job_id", sa.Uuid(), sa.ForeignKey("job.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        _created_at(),
        sa.UniqueConstraint("job_id", "seq"),
    )
    op.create_table(
        "job_template",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("team_id", sa.Uuid(), sa.ForeignKey("team.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("config", postgresql.JSONB(), nullable=False),
        _created_at(),
        sa.UniqueConstraint("team_id", "name"),
    )
    op.create_index("ix_job_template_team_id", "job_template", ["team_id"])

    # The job queue (procrastinate): its own tables, functions and triggers, pinned to the
    # installed version. A procrastinate upgrade gets a migration of ours that applies its
    # migration scripts.
    from procrastinate.schema import SchemaManager

    _execute_script(SchemaManager.get_schema())


def _execute_script(sql: str) -> None:
    """Run a multi-statement script: asyncpg prepares single statements, so use its simple protocol."""
    from sqlalchemy.util import await_only

    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(sql))


def downgrade() -> None:
    _execute_script(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
            procrastinate_workers CASCADE;
        DO $$
        DECLARE fn record;
        BEGIN
            FOR fn IN SELECT oid::regprocedure AS signature FROM pg_proc WHERE proname LIKE 'procrastinate%' LOOP
                EXECUTE 'DROP FUNCTION IF EXISTS ' || fn.signature || ' CASCADE';
            END LOOP;
        END $$;
        DO $$
        DECLARE t record;
        BEGIN
            FOR t IN SELECT typname FROM pg_type WHERE typname LIKE 'procrastinate%' AND typtype IN ('e', 'c') LOOP
                EXECUTE 'DROP TYPE IF EXISTS ' || quote_ident(t.typname) || ' CASCADE';
            END LOOP;
        END $$;
        """
    )
    op.drop_index("ix_job_template_team_id", table_name="job_template")
    op.drop_table("job_template")
    op.drop_table("job_event")
    op.drop_index("ix_job_dataset_version_id", table_name="job")
    op.drop_index("ix_job_team_id_created_at", table_name="job")
    op.drop_table("job")
