from __future__ import annotations

import asyncio

import asyncpg

from tuneforge import migrate


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


def _scratch_database(pg_url: str) -> str:
    """A separate database on the same cluster, so the round trip never touches other tests' schema."""
    admin = pg_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"

    async def create() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute("DROP DATABASE IF EXISTS migration_roundtrip")
            await conn.execute("CREATE DATABASE migration_roundtrip")
        finally:
            await conn.close()

    asyncio.run(create())
    return pg_url.rsplit("/", 1)[0] + "/migration_roundtrip"


def test_upgrade_downgrade_upgrade_round_trip(pg_url):
    url = _scratch_database(pg_url)
    migrate.upgrade(url)
    full = asyncio.run(_tables(url))
    assert {"user_account", "team", "membership", "refresh_token", "credential", "worker", "alembic_version"} <= full
    assert {"dataset", "dataset_version", "job", "job_event", "job_template", "procrastinate_jobs"} <= full
    migrate.downgrade(url, "base")
    assert asyncio.run(_tables(url)) == {"alembic_version"}
    migrate.upgrade(url)
    assert asyncio.run(_tables(url)) == full


# -- 0004: one data-kind vocabulary -----------------------------------------------------------


def _chat_version(kind: str) -> dict:
    """A dataset_version row as 0002/0003 stored it, with `kind` everywhere it appears."""
    mapping = {"kind": kind, "format": "openai" if kind == "messages" else kind, "columns": {"messages": "messages"}}
    return {
        "kind": kind,
        "mapping": mapping,
        "detection": {"mapping": mapping, "title": "t", "columns": ["messages"], "ambiguous": True, "message": "",
                      "candidates": [mapping | {"title": "t"}, {"kind": "text", "format": "text", "columns": {}, "title": "x"}]},
        "stats": {"rows": 1, "kind": kind, "roles": {"user": 1}},
    }


async def _seed_versions(url: str, kinds: list[str | None]) -> list[str]:
    import json
    import uuid

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        team, dataset = uuid.uuid4(), uuid.uuid4()
        await conn.execute("INSERT INTO team (id, name, slug) VALUES ($1, 'T', 't')", team)
        await conn.execute("INSERT INTO dataset (id, team_id, name) VALUES ($1, $2, 'd')", dataset, team)
        ids = []
        for number, kind in enumerate(kinds, 1):
            row = _chat_version(kind) if kind else {"kind": None, "mapping": None, "stats": {},
                                                     "detection": {"mapping": None, "candidates": []}}
            version = uuid.uuid4()
            await conn.execute(
                "INSERT INTO dataset_version (id, dataset_id, number, sha256, operation, kind, mapping, detection, stats,"
                " files, status) VALUES ($1, $2, $3, 'x', 'upload', $4, $5::jsonb, $6::jsonb, $7::jsonb, '{}', 'usable')",
                version, dataset, number, row["kind"], json.dumps(row["mapping"]) if row["mapping"] else None,
                json.dumps(row["detection"]), json.dumps(row["stats"]))
            ids.append(str(version))
        return ids
    finally:
        await conn.close()


async def _kinds(url: str) -> list[tuple]:
    import json

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT kind, mapping, detection, stats FROM dataset_version ORDER BY number")
    finally:
        await conn.close()
    out = []
    for r in rows:
        mapping, detection, stats = (json.loads(r[k]) if r[k] is not None else None for k in ("mapping", "detection", "stats"))
        out.append((r["kind"], mapping and mapping["kind"], stats.get("kind"),
                    detection["mapping"] and detection["mapping"]["kind"], [c["kind"] for c in detection["candidates"]]))
    return out


def test_0004_renames_stored_dataset_kinds_and_back(pg_url):
    url = _scratch_database(pg_url)
    migrate.upgrade(url, "0003_jobs")
    asyncio.run(_seed_versions(url, ["messages", "kto", "prompt_completion", None]))

    migrate.upgrade(url, "0004_data_kind_vocabulary")
    assert asyncio.run(_kinds(url)) == [
        ("chat", "chat", "chat", "chat", ["chat", "text"]),
        ("unpaired_preference", "unpaired_preference", "unpaired_preference", "unpaired_preference",
         ["unpaired_preference", "text"]),
        ("prompt_completion", "prompt_completion", "prompt_completion", "prompt_completion", ["prompt_completion", "text"]),
        (None, None, None, None, []),
    ]

    migrate.downgrade(url, "0003_jobs")
    assert asyncio.run(_kinds(url)) == [
        ("messages", "messages", "messages", "messages", ["messages", "text"]),
        ("kto", "kto", "kto", "kto", ["kto", "text"]),
        ("prompt_completion", "prompt_completion", "prompt_completion", "prompt_completion", ["prompt_completion", "text"]),
        (None, None, None, None, []),
    ]


# -- 0010: the model registry backfills a version for every job that had already succeeded ----


async def _seed_succeeded_job(url: str) -> dict:
    import json
    import uuid
    from datetime import datetime, timedelta, timezone

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        ids = {k: uuid.uuid4() for k in ("team", "user", "dataset", "version", "job", "failed")}
        await conn.execute("INSERT INTO team (id, name, slug) VALUES ($1, 'T', 't')", ids["team"])
        await conn.execute(
            "INSERT INTO user_account (id, email, display_name, password_hash) VALUES ($1, 'ada@example.com', 'Ada', 'x')",
            ids["user"])
        await conn.execute("INSERT INTO dataset (id, team_id, name) VALUES ($1, $2, 'sums')", ids["dataset"], ids["team"])
        await conn.execute(
            "INSERT INTO dataset_version (id, dataset_id, number, sha256, operation, files, status)"
            " VALUES ($1, $2, 1, 'x', 'upload', $3::jsonb, 'usable')",
            ids["version"], ids["dataset"], json.dumps({"train": "datasets/sums/v1/train.jsonl"}))
        finished = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
        config = json.dumps({"method": "sft", "adapter": "lora", "base_model": "tiny-llama",
                             "dataset_version_id": str(ids["version"]), "mixture": []})
        for job, status in ((ids["job"], "succeeded"), (ids["failed"], "failed")):
            await conn.execute(
                "INSERT INTO job (id, team_id, created_by, name, status, method, adapter, base_model, config, executor,"
                " started_at, finished_at, result) VALUES ($1, $2, $3, 'sums-bot', $4, 'sft', 'lora', 'tiny-llama',"
                " $5::jsonb, 'local', $6, $7, $8::jsonb)",
                job, ids["team"], ids["user"], status, config, finished - timedelta(seconds=90), finished,
                json.dumps({"metrics": {"train_loss": 1.25}}))
        return {k: str(v) for k, v in ids.items()}
    finally:
        await conn.close()


async def _registry_rows(url: str) -> tuple[list, list]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        models = await conn.fetch("SELECT id, team_id, name, created_by, last_number FROM registered_model")
        versions = await conn.fetch("SELECT model_id, team_id, number, job_id, output_key, lineage FROM model_version")
    finally:
        await conn.close()
    return [dict(r) for r in models], [dict(r) for r in versions]


def test_0010_backfills_a_version_for_each_succeeded_job(pg_url):
    import json

    url = _scratch_database(pg_url)
    migrate.upgrade(url, "0009_dataset_fill")
    ids = asyncio.run(_seed_succeeded_job(url))

    migrate.upgrade(url, "0010_model_registry")
    models, versions = asyncio.run(_registry_rows(url))
    # One model named after the job, with one version: the failed job made none.
    assert [(str(m["team_id"]), m["name"], str(m["created_by"]), m["last_number"]) for m in models] == [
        (ids["team"], "sums-bot", ids["user"], 1)
    ]
    assert len(versions) == 1
    version = versions[0]
    assert (version["model_id"], str(version["team_id"]), version["number"], str(version["job_id"]), version["output_key"]) == (
        models[0]["id"], ids["team"], 1, ids["job"], f"jobs/{ids['job']}/output")
    lineage = json.loads(version["lineage"])
    assert lineage["recorded"] == "backfilled"
    assert set(lineage["unknown"]) == {
        "base_model.files_sha256", "datasets.file_sha256", "libraries", "hardware.device_type", "hardware.device_name",
        "evaluation", "files",
    }
    # What the database knew is recorded.
    assert lineage["job_id"] == ids["job"] and lineage["job_name"] == "sums-bot"
    assert lineage["launched_by"] == {"user_id": ids["user"], "name": "Ada"}
    assert lineage["base_model"]["reference"] == "tiny-llama" and lineage["base_model"]["files_sha256"] is None
    assert lineage["datasets"] == [{
        "dataset_id": ids["dataset"], "dataset_name": "sums", "version_id": ids["version"], "version_number": 1,
        "weight": 1.0, "file": "storage:datasets/sums/v1/train.jsonl", "file_sha256": None,
    }]
    assert lineage["duration_s"] == 90.0
    assert lineage["metrics"] == {"train_loss": 1.25}
    assert lineage["libraries"] == {} and lineage["files"] == []

    migrate.downgrade(url, "0009_dataset_fill")
    assert not {"registered_model", "model_version", "model_tag"} & asyncio.run(_tables(url))
