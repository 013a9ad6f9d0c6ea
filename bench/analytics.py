"""Analytics and list endpoints at scale: p50/p95 through a real API process.

    .venv/bin/python bench/analytics.py [--jobs 100000] [--events 10000000] [--teams 50] [--requests 40]

Seeds an embedded PostgreSQL (fsync off) with `--teams` teams, `--jobs` jobs over the last year
(a fifth of them in the bench user's team, the rest spread over the others) and `--events` job
events, all server-side (`INSERT ... SELECT generate_series`, no ORM), plus datasets, models and
model versions. Then, through uvicorn (`tuneforge api`) with a real personal API token, times every
dashboard and list endpoint the bench user's team has, `--requests` times each after two warm-ups.

It seeds with the schema as it was before migration 0018 (`--before` revision), measures, then
runs `alembic upgrade head` (0018: `job.device_type` filled in from the events, the status index;
0019: the analytics' covering index and its generated columns) and `VACUUM (ANALYZE) job`, and
measures again - so the figures show what they buy. The analytics code of this tree needs 0018's and
0019's columns: with it, measure the lists only before (`--skip-before` measures the head only).
`uptime` is printed before and after, since the machine is shared, and the plan of a year's
analytics (EXPLAIN ANALYZE) at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from tuneforge import migrate  # noqa: E402
from tuneforge.devdb import EmbeddedPostgres, free_port  # noqa: E402
from tuneforge.jobs.schemas import JobConfig  # noqa: E402

PASSWORD = "correct-horse-battery-staple"

SEED_PEOPLE = """
INSERT INTO user_account (id, email, display_name, password_hash, is_active)
SELECT gen_random_uuid(), 'member' || i || '@bench.example', 'Member ' || i, 'not-a-hash', true
  FROM generate_series(1, $1) i;
INSERT INTO team (id, name, slug, personal)
SELECT gen_random_uuid(), 'Team ' || i, 'bench-team-' || i, false FROM generate_series(1, $2 - 1) i;
"""

# bench_team: idx 0 is the bench user's team; each team's members (4 each; the first 4 also in team 0).
TEAMS = """
CREATE TABLE bench_team AS
WITH others AS (SELECT id, row_number() OVER (ORDER BY slug) AS idx FROM team WHERE slug LIKE 'bench-team-%'),
     people AS (SELECT id, row_number() OVER (ORDER BY email) - 1 AS n FROM user_account WHERE email LIKE '%@bench.example')
SELECT o.idx::int AS idx, o.id, array_agg(p.id) AS members
  FROM others o JOIN people p ON p.n % ($1 - 1) = o.idx - 1 GROUP BY o.idx, o.id
UNION ALL
SELECT 0, $2::uuid, array_append((SELECT array_agg(id) FROM people WHERE n < 4), $3::uuid);
INSERT INTO membership (id, team_id, user_id, role)
SELECT gen_random_uuid(), t.id, m, 'member' FROM bench_team t, unnest(t.members) m WHERE m <> $3::uuid;
"""

JOBS = """
WITH src AS (
  SELECT i, gen_random_uuid() AS id, CASE WHEN i % 5 = 0 THEN 0 ELSE 1 + i % ($2 - 1) END AS team_idx,
         now() - random() * interval '365 days' AS created_at, random() AS r_status, random() AS r_exec,
         random() AS r_wait, random() AS r_run
    FROM generate_series(1, $1) i
)
INSERT INTO job (id, team_id, created_by, name, status, method, adapter, base_model, config, executor, gpu_type,
                 needs_cuda, attempt, last_seq, step, latest_metrics, queued_at, started_at, finished_at, error_kind,
                 message, result, gpu_seconds, cost_usd, updated_at, created_at)
SELECT src.id, t.id, t.members[1 + src.i % array_length(t.members, 1)], 'run-' || src.i, st.status,
       (ARRAY['sft', 'dpo', 'orpo', 'kto', 'grpo', 'cpt'])[1 + src.i % 6], 'lora', 'tiny-llama', $4::jsonb,
       CASE WHEN modal THEN 'modal' ELSE 'local' END, CASE WHEN modal THEN 'T4' END, src.i % 2 = 0,
       CASE WHEN st.status = 'queued' THEN 0 ELSE 1 END, $3, 100,
       jsonb_build_object('loss', round((0.4 + src.r_run)::numeric, 4), 'step', 100),
       src.created_at, sa.started_at, fa.finished_at,
       CASE WHEN st.status = 'failed' THEN (ARRAY['out_of_memory', 'dataset', 'configuration', 'runtime', 'timeout'])[1 + src.i % 5] END,
       st.status,
       CASE WHEN st.status = 'succeeded' THEN jsonb_build_object('metrics', jsonb_build_object(
         'final_loss', round((0.3 + src.r_run)::numeric, 4), 'eval_loss', round((0.5 + src.r_run)::numeric, 4))) ELSE '{}' END,
       CASE WHEN modal AND fa.finished_at IS NOT NULL THEN extract(epoch FROM fa.finished_at - sa.started_at) END,
       CASE WHEN modal AND fa.finished_at IS NOT NULL THEN round((extract(epoch FROM fa.finished_at - sa.started_at) / 3600 * 0.59)::numeric, 4) END,
       coalesce(fa.finished_at, sa.started_at, src.created_at), src.created_at
  FROM src JOIN bench_team t ON t.idx = src.team_idx
  CROSS JOIN LATERAL (SELECT CASE WHEN src.r_status < 0.6 THEN 'succeeded' WHEN src.r_status < 0.8 THEN 'failed'
                                  WHEN src.r_status < 0.88 THEN 'cancelled' WHEN src.r_status < 0.92 THEN 'interrupted'
                                  WHEN src.r_status < 0.97 THEN 'queued' ELSE 'running' END AS status,
                             src.r_exec < 0.15 AS modal) st
  CROSS JOIN LATERAL (SELECT CASE WHEN st.status <> 'queued' THEN src.created_at + src.r_wait * interval '30 minutes' END AS started_at) sa
  CROSS JOIN LATERAL (SELECT CASE WHEN st.status IN ('succeeded', 'failed', 'cancelled')
                                  THEN sa.started_at + (60 + src.r_run * 7200) * interval '1 second' END AS finished_at) fa
"""

# One chunk of every job's events: seq in [$1, $2]; seq 1 is "started" with the trainer's device.
EVENTS = """
INSERT INTO job_event (job_id, seq, type, attempt, data, created_at)
SELECT j.id, s, CASE WHEN s = 1 THEN 'started' ELSE 'metric' END, 1,
       CASE WHEN s = 1 THEN jsonb_build_object('type', 'started', 'device',
                              jsonb_build_object('type', CASE WHEN j.needs_cuda THEN 'cuda' ELSE 'cpu' END))
            ELSE jsonb_build_object('type', 'metric', 'step', s, 'loss', round((2.0 / s)::numeric, 4)) END,
       j.created_at + s * interval '1 second'
  FROM job j CROSS JOIN generate_series($1::int, $2::int) s
"""

OTHERS = """
INSERT INTO dataset (id, team_id, name, description, archived, updated_at, created_at)
SELECT gen_random_uuid(), t.id, 'data-' || i, '', false, now(), now() - i * interval '1 day'
  FROM bench_team t CROSS JOIN generate_series(1, 40) i;
INSERT INTO dataset_version (id, dataset_id, number, sha256, operation, notes, detection, stats, issues_summary, files,
                             sources, options, rows, size_bytes, status, kind, created_at)
SELECT gen_random_uuid(), d.id, n, md5(d.id::text || n), 'upload', '', '{}', '{}', '{}', '{}', '[]', '{}', 1000, 100000,
       'usable', 'chat', d.created_at + n * interval '1 hour'
  FROM dataset d CROSS JOIN generate_series(1, 3) n;
INSERT INTO registered_model (id, team_id, name, description, last_number, updated_at, created_at)
SELECT gen_random_uuid(), t.id, 'model-' || i, '', 0, now(), now() - interval '1 year'
  FROM bench_team t CROSS JOIN generate_series(1, 10) i;
WITH v AS (
  SELECT j.id AS job_id, j.team_id, j.created_at, m.id AS model_id,
         row_number() OVER (PARTITION BY m.id ORDER BY j.created_at) AS number
    FROM (SELECT *, row_number() OVER (PARTITION BY team_id ORDER BY created_at) AS k FROM job WHERE status = 'succeeded') j
    JOIN LATERAL (SELECT id FROM registered_model WHERE team_id = j.team_id ORDER BY name OFFSET j.k % 10 LIMIT 1) m ON true
   WHERE j.k % 4 = 0
)
INSERT INTO model_version (id, model_id, team_id, number, job_id, output_key, lineage, notes, archived, updated_at, created_at)
SELECT gen_random_uuid(), model_id, team_id, number, job_id, 'jobs/' || job_id || '/output', '{}', '', false, created_at, created_at
  FROM v;
UPDATE registered_model m SET last_number = coalesce((SELECT max(number) FROM model_version WHERE model_id = m.id), 0);
"""


async def seed(dsn: str, args: argparse.Namespace, team_id: str, user_id: str) -> dict[str, float]:
    conn = await asyncpg.connect(dsn)
    timings: dict[str, float] = {}
    try:
        per_job = max(1, args.events // args.jobs)
        started = time.perf_counter()
        await conn.execute(SEED_PEOPLE.replace("$1", str(4 * (args.teams - 1))).replace("$2", str(args.teams)))
        await conn.execute(TEAMS.replace("$1", str(args.teams)).replace("$2", f"'{team_id}'").replace("$3", f"'{user_id}'"))
        # A real stored configuration (the jobs list reads it back as a JobConfig).
        config = JobConfig(dataset_version_id=uuid.uuid4()).model_dump(mode="json")
        await conn.execute(JOBS, args.jobs, args.teams, per_job, json.dumps(config))
        timings["jobs"] = time.perf_counter() - started
        print(f"  {args.jobs:,} jobs in {timings['jobs']:.1f} s", flush=True)
        started = time.perf_counter()
        chunk = max(1, per_job // 10)
        for first in range(1, per_job + 1, chunk):
            await conn.execute(EVENTS, first, min(per_job, first + chunk - 1))
            print(f"  events seq {first}..{min(per_job, first + chunk - 1)}: {time.perf_counter() - started:.0f} s", flush=True)
        timings["events"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute(OTHERS)
        await conn.execute("VACUUM ANALYZE")
        timings["rest"] = time.perf_counter() - started
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM job) AS jobs, (SELECT count(*) FROM job_event) AS events,"
            " (SELECT count(*) FROM team) AS teams, (SELECT count(*) FROM job WHERE team_id = $1::uuid) AS mine,"
            " (SELECT count(*) FROM model_version) AS versions, pg_size_pretty(pg_database_size(current_database())) AS size",
            team_id,
        )
        print(f"  seeded: {dict(counts)}", flush=True)
    finally:
        await conn.close()
    return timings


def endpoints(team: str, job: str) -> list[tuple[str, str]]:
    today = datetime.now(UTC).date()
    year = (today - timedelta(days=365)).isoformat()
    return [
        ("analytics, last 30 days", f"/api/teams/{team}/analytics"),
        ("analytics, a year", f"/api/teams/{team}/analytics?from={year}&to={today}"),
        ("analytics.csv, a year", f"/api/teams/{team}/analytics.csv?from={year}&to={today}"),
        ("jobs, first page", f"/api/teams/{team}/jobs"),
        ("jobs, page 20", f"/api/teams/{team}/jobs?offset=1000&limit=50"),
        ("jobs, status=failed", f"/api/teams/{team}/jobs?status=failed"),
        ("jobs, running (dashboard)", f"/api/teams/{team}/jobs?status=queued,running,cancelling&limit=20"),
        ("jobs, method=dpo, page 5", f"/api/teams/{team}/jobs?method=dpo&offset=200"),
        ("jobs, name search q=run-12", f"/api/teams/{team}/jobs?q=run-12"),
        ("job events, 1000", f"/api/jobs/{job}/events?after_seq=0&limit=1000"),
        ("estimate accuracy", f"/api/teams/{team}/estimate-accuracy"),
        ("datasets", f"/api/teams/{team}/datasets"),
        ("models", f"/api/teams/{team}/models"),
        ("model versions, first page", f"/api/teams/{team}/model-versions?include_archived=true"),
        ("model versions, picker (500)", f"/api/teams/{team}/model-versions?limit=500"),
        ("team members", f"/api/teams/{team}/members"),
        ("audit log", f"/api/teams/{team}/audit"),
    ]


def measure(base: str, token: str, team: str, job: str, requests: int) -> list[tuple[str, int, float, float, int]]:
    rows = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
        for name, path in endpoints(team, job):
            first = http.get(path)
            if first.status_code == 404 and name == "audit log":
                continue  # no audit API on this tree
            if first.status_code != 200:
                raise SystemExit(f"{path}: {first.status_code} {first.text[:300]}")
            http.get(path)
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = http.get(path)
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
            rows.append((name, requests, p50, p95, len(first.content)))
            print(f"  {name:32s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  ({len(first.content):,} bytes)", flush=True)
    return rows


def start_api(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    api = subprocess.Popen([sys.executable, "-m", "tuneforge.cli", "api", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                return api, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    api.terminate()
    raise SystemExit("the API did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--before", default="0017_sso", help="the revision measured first (before the indexes)")
    parser.add_argument("--skip-before", action="store_true", help="seed at --before, upgrade, measure only the head")
    parser.add_argument("--keep", action="store_true", help="keep the database folder (printed) afterwards")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tuneforge-bench-analytics-"))
    tmp.chmod(0o755)
    pg = EmbeddedPostgres(tmp / "pg", fast=True)
    url = pg.start()
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    env = dict(os.environ, DATABASE_URL=url, TUNEFORGE_DATA_DIR=str(tmp / "data"), TUNEFORGE_RATE_LIMIT_ENABLED="false",
               TUNEFORGE_LOG_LEVEL="WARNING", TUNEFORGE_ENVIRONMENT="development",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "backend"), os.environ.get("PYTHONPATH")])))
    api = None
    try:
        print(f"uptime before: {uptime()}", flush=True)
        migrate.upgrade(url, args.before)
        api, base = start_api(env)
        account = httpx.post(base + "/api/auth/register",
                             json={"email": "bench@example.com", "password": PASSWORD, "display_name": "Bench"}).json()
        user, access = account["user"], account["access_token"]
        team = user["teams"][0]["id"]
        token = httpx.post(base + "/api/tokens", json={"name": "bench", "scope": "read"},
                           headers={"Authorization": f"Bearer {access}"}).json()["token"]
        print(f"seeding {args.jobs:,} jobs and {args.events:,} events across {args.teams} teams", flush=True)
        asyncio.run(seed(dsn, args, team, user["id"]))

        async def a_job() -> str:
            conn = await asyncpg.connect(dsn)
            try:
                return str(await conn.fetchval(
                    "SELECT id FROM job WHERE team_id = $1::uuid AND status = 'succeeded' ORDER BY created_at DESC LIMIT 1", team))
            finally:
                await conn.close()

        job = asyncio.run(a_job())
        before = []
        if not args.skip_before:
            print(f"\nbefore ({args.before}), {args.requests} requests each; {uptime()}", flush=True)
            before = measure(base, token, team, job, args.requests)
        stop(api)
        api = None
        started = time.perf_counter()
        migrate.upgrade(url)
        print(f"\nupgraded to head (0018, 0019) in {time.perf_counter() - started:.1f} s", flush=True)
        asyncio.run(_analyze(dsn))
        api, base = start_api(env)
        print(f"after (head), {args.requests} requests each; {uptime()}", flush=True)
        after = measure(base, token, team, job, args.requests)
        print(f"\nuptime after: {uptime()}")
        asyncio.run(_explain_year(url, team))
        print()
        print("| endpoint | before p50 | before p95 | after p50 | after p95 |")
        print("|---|---:|---:|---:|---:|")
        earlier = {name: (b50, b95) for name, _, b50, b95, _ in before}
        for name, _, a50, a95, _ in after:
            b50, b95 = earlier.get(name, (float("nan"), float("nan")))
            print(f"| {name} | {b50:.0f} ms | {b95:.0f} ms | {a50:.0f} ms | **{a95:.0f} ms** |")
    finally:
        if api is not None:
            stop(api)
        pg.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


async def _analyze(dsn: str) -> None:
    """Statistics, and `job`'s visibility map: the upgrade rewrote `job` (0018's UPDATE, 0019's generated
    columns), and index-only scans read the heap until a vacuum; autovacuum does it within minutes of a
    real upgrade, this stands for it."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM (ANALYZE) job")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _explain_year(url: str, team: str) -> None:
    """EXPLAIN ANALYZE of the year's analytics statement, to see where its time goes."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from tuneforge.analytics import repository

    now = datetime.now(UTC)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + repository._STATEMENT), {
                "team_id": uuid.UUID(team), "start": now - timedelta(days=366), "end": now, "now": now})
            plan = [row[0] for row in rows]
    finally:
        await engine.dispose()
    print("\nEXPLAIN ANALYZE, analytics of a year (the period's scan and the total):")
    for line in plan:
        if "Scan" in line and " job" in line or "Execution Time" in line or "Heap Fetches" in line:
            print("  " + line.strip())


if __name__ == "__main__":
    main()
