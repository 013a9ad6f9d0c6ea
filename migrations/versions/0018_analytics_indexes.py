"""Analytics at scale (bench/analytics.py measures it): the trainer's device on the job row, and an index
for the filtered jobs lists.

- `job.device_type`: the device type the trainer last reported in a "started" event (cpu, cuda,
  mps), kept by the event relay (`jobs/event_store.py`) from now on and filled in here from the
  events already stored. Compute hours split GPU / CPU by it, so the analytics never read a job's
  events (a year of a big team is ~16,000 jobs among 10 million events).
- `ix_job_team_id_status_created_at`: the jobs list filtered by status (the dashboard's running jobs,
  the Jobs page's filters), newest first, without reading the team's other jobs.

Revision ID: 0018_analytics_indexes
Revises: 0017_sso
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_analytics_indexes"
down_revision = "0017_sso"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job", sa.Column("device_type", sa.String(length=16), nullable=True))
    # The last "started" event that named a device, per job: one pass over the events.
    op.execute(
        """
        UPDATE job SET device_type = d.device_type
          FROM (SELECT DISTINCT ON (job_id) job_id, left(data -> 'device' ->> 'type', 16) AS device_type
                  FROM job_event
                 WHERE type = 'started' AND coalesce(data -> 'device' ->> 'type', '') <> ''
                 ORDER BY job_id, seq DESC) AS d
         WHERE d.job_id = job.id
        """
    )
    op.create_index("ix_job_team_id_status_created_at", "job", ["team_id", "status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_team_id_status_created_at", table_name="job")
    op.drop_column("job", "device_type")
