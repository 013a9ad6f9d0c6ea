"""The analytics queries: one statement aggregates a team's jobs of a period in PostgreSQL (a team
may hold 100,000 of them; none is loaded into Python), another reads the team's Modal budget.
Team-scoped: every subquery filters on the team."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

RECENT_JOBS = 10
CAUSE_EXAMPLES = 20

# The period's jobs with what each aggregate needs, computed once (MATERIALIZED) and read by every
# aggregate below. `seconds`/`on_gpu` are compute_seconds(); the device is `job.device_type` (the
# trainer's last "started" event, kept on the row by the event relay - migration 0018), so no
# job's events are read. Every column read here is in `ix_job_team_id_created_at_covering` (0019;
# `compute_end_at`, `final_loss`, `eval_loss` are generated columns), so the period is an index-only
# scan: keep it so when adding a column.
_JOBS = """
j AS MATERIALIZED (
  SELECT job.id, job.name, job.status, job.method, job.created_by, job.created_at, job.started_at,
         job.finished_at, job.executor, job.cost_usd, job.error_kind,
         (job.created_at AT TIME ZONE 'UTC')::date AS day,
         CASE
           WHEN job.gpu_seconds IS NOT NULL THEN job.gpu_seconds
           WHEN job.started_at IS NULL THEN 0.0
           ELSE greatest(0.0, extract(epoch FROM coalesce(job.compute_end_at, CAST(:now AS timestamptz)) - job.started_at)::float8)
         END AS seconds,
         CASE
           WHEN job.gpu_seconds IS NOT NULL OR job.executor = 'modal' THEN true
           WHEN job.started_at IS NULL THEN false
           ELSE coalesce(job.device_type IN ('cuda', 'mps'), job.needs_cuda)
         END AS on_gpu,
         job.final_loss,
         job.eval_loss,
         CASE job.status
           WHEN 'cancelled' THEN 'cancelled'
           WHEN 'interrupted' THEN 'interrupted'
           WHEN 'failed' THEN CASE job.error_kind
             WHEN 'out_of_memory' THEN 'out_of_memory'
             WHEN 'dataset' THEN 'data'
             WHEN 'configuration' THEN 'configuration'
             ELSE 'other' END
         END AS cause
    FROM job
   WHERE job.team_id = :team_id AND job.created_at >= :start AND job.created_at < :end
)"""

_STATEMENT = f"""
WITH {_JOBS}
SELECT json_build_object(
  'inventory', json_build_object(
    'datasets', (SELECT json_build_object('total', count(*), 'created', count(*) FILTER (WHERE created_at >= :start AND created_at < :end))
                   FROM dataset WHERE team_id = :team_id),
    'dataset_versions', (SELECT json_build_object('total', count(*), 'created', count(*) FILTER (WHERE v.created_at >= :start AND v.created_at < :end))
                   FROM dataset_version v JOIN dataset d ON d.id = v.dataset_id WHERE d.team_id = :team_id),
    'models', (SELECT json_build_object('total', count(*), 'created', count(*) FILTER (WHERE created_at >= :start AND created_at < :end))
                   FROM registered_model WHERE team_id = :team_id),
    'model_versions', (SELECT json_build_object('total', count(*), 'created', count(*) FILTER (WHERE created_at >= :start AND created_at < :end))
                   FROM model_version WHERE team_id = :team_id)),
  'by_status', (SELECT coalesce(json_object_agg(status, n), '{{}}') FROM (SELECT status, count(*) AS n FROM j GROUP BY status) s),
  'per_day', (SELECT coalesce(json_agg(json_build_object('day', day, 'status', status, 'n', n)), '[]')
                FROM (SELECT day, status, count(*) AS n FROM j GROUP BY day, status) s),
  'totals', (SELECT json_build_object(
               'jobs', count(*),
               'gpu_s', coalesce(sum(seconds) FILTER (WHERE on_gpu), 0),
               'cpu_s', coalesce(sum(seconds) FILTER (WHERE NOT on_gpu), 0),
               'cost_usd', coalesce(sum(cost_usd), 0),
               'succeeded', count(*) FILTER (WHERE status = 'succeeded'),
               'ended', count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')),
               'median_wait_s', percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at)::float8)
                                FILTER (WHERE started_at IS NOT NULL),
               'median_run_s', percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)::float8)
                               FILTER (WHERE started_at IS NOT NULL AND finished_at IS NOT NULL))
             FROM j),
  'by_method', (SELECT coalesce(json_agg(json_build_object(
                   'method', method, 'jobs', n, 'gpu_s', gpu_s, 'cpu_s', cpu_s, 'losses', losses,
                   'median_final_loss', median_final, 'mean_final_loss', mean_final, 'median_eval_loss', median_eval)
                   ORDER BY method), '[]')
                FROM (SELECT method, count(*) AS n,
                             coalesce(sum(seconds) FILTER (WHERE on_gpu), 0) AS gpu_s,
                             coalesce(sum(seconds) FILTER (WHERE NOT on_gpu), 0) AS cpu_s,
                             count(final_loss) AS losses,
                             percentile_cont(0.5) WITHIN GROUP (ORDER BY final_loss) AS median_final,
                             avg(final_loss) AS mean_final,
                             percentile_cont(0.5) WITHIN GROUP (ORDER BY eval_loss) AS median_eval
                        FROM j GROUP BY method) m),
  'by_member', (SELECT coalesce(json_agg(json_build_object(
                   'user_id', m.created_by, 'name', coalesce(u.display_name, 'Former member'), 'jobs', m.n,
                   'gpu_s', m.gpu_s, 'cpu_s', m.cpu_s) ORDER BY m.gpu_s + m.cpu_s DESC, u.display_name), '[]')
                FROM (SELECT created_by, count(*) AS n,
                             coalesce(sum(seconds) FILTER (WHERE on_gpu), 0) AS gpu_s,
                             coalesce(sum(seconds) FILTER (WHERE NOT on_gpu), 0) AS cpu_s
                        FROM j GROUP BY created_by) m
                LEFT JOIN user_account u ON u.id = m.created_by),
  'modal_by_month', (SELECT coalesce(json_agg(json_build_object('month', month, 'cost_usd', cost) ORDER BY month), '[]')
                FROM (SELECT date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month, sum(coalesce(cost_usd, 0)) AS cost
                        FROM j WHERE executor = 'modal' GROUP BY 1) c),
  'causes', (SELECT coalesce(json_agg(json_build_object('cause', cause, 'jobs', n, 'examples', examples)), '[]')
                FROM (SELECT cause, count(*) AS n,
                             to_json((array_agg(json_build_object('id', id, 'name', name) ORDER BY created_at DESC))[1:{CAUSE_EXAMPLES}]) AS examples
                        FROM j WHERE cause IS NOT NULL GROUP BY cause) c),
  'recent', (SELECT coalesce(json_agg(json_build_object(
                   'id', id, 'name', name, 'status', status, 'method', method, 'created_at', created_at,
                   'started_at', started_at, 'finished_at', finished_at) ORDER BY created_at DESC), '[]')
                FROM (SELECT * FROM j ORDER BY created_at DESC LIMIT {RECENT_JOBS}) r)
)
"""


async def aggregate(
    *, session: AsyncSession, team_id: uuid.UUID, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """The raw aggregates of the team's jobs created in [start, end) (see `_STATEMENT`)."""
    params = {"team_id": team_id, "start": start, "end": end, "now": now}
    return (await session.execute(text(_STATEMENT), params)).scalar_one()


async def modal_budget(*, session: AsyncSession, team_id: uuid.UUID) -> float | None:
    """The team's monthly Modal budget (team quotas, migration 0016), or None when none is set - also
    on a database whose quotas table is not there."""
    exists = await session.scalar(text("SELECT to_regclass('team_quota') IS NOT NULL"))
    if not exists:
        return None
    try:
        async with session.begin_nested():
            value = await session.scalar(
                text("SELECT modal_usd_per_month FROM team_quota WHERE team_id = :team_id"), {"team_id": team_id}
            )
    except DBAPIError:  # a quotas table of another shape: no budget to show
        return None
    return float(value) if value is not None else None
