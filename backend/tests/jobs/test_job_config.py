"""One job configuration type (JobConfig), one way to make a spec of it (resolve_training_spec).

In-process API against the real PostgreSQL (rolled back per test); no worker process.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path

import pytest

from tuneforge.jobs.resolve import VersionFiles, resolve_training_spec
from tuneforge.jobs.schemas import JobConfig, JobCreate
from tuneforge.storage import Storage

from .conftest import CHAT_ROWS
from .test_jobs_api import _job, _upload

ROOT = Path(__file__).resolve().parents[3]


def _body(version: str, **extra) -> dict:
    return _job(
        version,
        preset="quick",
        hyperparameters={"max_steps": 5, "batch_size": 2},
        lora={"rank": 4},
        data={"max_length": 64, "validation_split": 0.2},
        eval={"generation_samples": 2},
        **extra,
    )


async def _create(client, account, body: dict) -> dict:
    response = await client.post(f"/api/teams/{account.team_id}/jobs", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_stored_config_is_the_job_config_dump(client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    other = await _upload(client, alice, "more sums", CHAT_ROWS[:20])
    body = _body(version, mixture=[{"dataset_version_id": other, "weight": 0.5}], executor="local", auto_resume=False)
    job = await _create(client, alice, body)

    expected = JobConfig.model_validate({k: v for k, v in body.items() if k not in ("executor", "auto_resume")})
    assert job["config"] == expected.model_dump(mode="json")
    # No file keys inside: the data files are looked up from the dataset versions when a spec is made.
    assert set(job["config"]["data"]) == set(JobConfig.model_fields["data"].annotation.model_fields)
    assert "files" not in json.dumps(job["config"])
    assert job["config"]["mixture"] == [{"dataset_version_id": other, "weight": 0.5}]
    # The preset fills what was not set; what was set wins.
    assert job["config"]["hyperparameters"]["scheduler"] == "constant"
    assert job["config"]["hyperparameters"]["batch_size"] == 2


async def test_launch_validation_and_the_worker_resolve_the_same_spec(client, register, app, monkeypatch):
    from tuneforge.jobs import service
    from tuneforge.jobs.models import Job
    from tuneforge.storage import get_storage
    from tuneforge.worker.supervisor import JobRunner

    resolved: list = []
    real = service.resolve_training_spec

    def spy(**kwargs):
        spec = real(**kwargs)
        resolved.append(spec)
        return spec

    monkeypatch.setattr(service, "resolve_training_spec", spy)
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    other = await _upload(client, alice, "more sums", CHAT_ROWS[:20])
    job = await _create(client, alice, _body(version, mixture=[{"dataset_version_id": other, "weight": 0.5}]))
    [at_launch] = resolved
    assert at_launch.output_dir.endswith(f"jobs/{job['id']}/output")
    assert [s.weight for s in at_launch.data.sources] == [1.0, 0.5]
    assert all(Path(s.path).is_file() for s in at_launch.data.sources)

    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="test-worker")
    async with app.state.sessionmaker() as session:
        row = await session.get(Job, uuid.UUID(job["id"]))
        on_worker = await runner._resolve_spec(session, row, resume=False)
        resumed = await runner._resolve_spec(session, row, resume=True)
    assert on_worker == at_launch
    assert resumed == at_launch.model_copy(update={"resume_from_checkpoint": "latest"})

    # The spec the API offers for `tuneforge train` is the same one, as users see it (no server paths).
    spec_yaml = await client.get(f"/api/jobs/{job['id']}/spec.yaml", headers=alice.headers)
    import yaml

    from tuneforge.jobs.resolve import for_display

    assert yaml.safe_load(spec_yaml.text) == for_display(at_launch, get_storage()).model_dump(mode="json")


async def test_clone_changes_only_what_was_given(client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    job = await _create(client, alice, _body(version, name="first run", timeout_minutes=90))

    config = await client.get(f"/api/jobs/{job['id']}/config", headers=alice.headers)
    assert config.status_code == 200
    settings = JobCreate.model_validate(config.json())
    assert settings.timeout_minutes == 90 and settings.name == "first run"
    assert settings.job_config().model_dump(mode="json") == job["config"]

    overrides = {"hyperparameters": {"max_steps": 9}, "lora": {"dropout": 0.1}, "timeout_minutes": 30}
    clone = await client.post(f"/api/jobs/{job['id']}/clone", json=overrides, headers=alice.headers)
    assert clone.status_code == 201, clone.text
    cloned = clone.json()
    assert cloned["cloned_from_id"] == job["id"] and cloned["timeout_minutes"] == 30

    def flat(tree: dict, prefix: str = "") -> dict:
        out = {}
        for key, value in tree.items():
            if isinstance(value, dict):
                out.update(flat(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = value
        return out

    before, after = flat(job["config"]), flat(cloned["config"])
    assert {k for k in before if before[k] != after[k]} == {"hyperparameters.max_steps", "lora.dropout"}
    assert after["hyperparameters.max_steps"] == 9 and after["lora.dropout"] == 0.1

    for bad, field in [({"hyperparameters": {"batch_size": 0}}, "hyperparameters.batch_size"),
                       ({"lora": {"no_such_option": 1}}, "lora.no_such_option"),
                       ({"data": {"sources": ["/etc/passwd"]}}, "chosen by TuneForge")]:
        refused = await client.post(f"/api/jobs/{job['id']}/clone", json=bad, headers=alice.headers)
        assert refused.status_code == 422, refused.text
        assert field in refused.json()["detail"]


async def test_unknown_keys_are_refused_with_a_clear_422(client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    for extra, field in [({"epochs": 3}, "epochs"), ({"output_dir": "/tmp/x"}, "output_dir is chosen by TuneForge"),
                         ({"hyperparameters": {"epoch": 3}}, "hyperparameters.epoch")]:
        response = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, **extra), headers=alice.headers)
        assert response.status_code == 422, response.text
        assert field in response.json()["detail"]


def test_a_modal_payload_holds_no_server_paths(tmp_path):
    from tuneforge.worker.modal_executor import build_payload

    storage = Storage(tmp_path / "storage")
    rows = "".join(json.dumps(r) + "\n" for r in CHAT_ROWS[:8]).encode()
    for key in ("datasets/a/train.jsonl", "datasets/a/validation.jsonl", "datasets/b/rows.jsonl"):
        with storage.open_write(key) as handle:
            handle.write(rows)
    main, other = uuid.uuid4(), uuid.uuid4()
    config = JobConfig.model_validate(
        {"dataset_version_id": str(main), "mixture": [{"dataset_version_id": str(other), "weight": 2}]}
    )
    files = {main: VersionFiles("datasets/a/train.jsonl", "datasets/a/validation.jsonl"), other: VersionFiles("datasets/b/rows.jsonl")}
    spec = resolve_training_spec(config=config, storage=storage, job_id=uuid.uuid4(), resume=True, files=files)
    assert str(tmp_path) in spec.model_dump_json()

    payload = build_payload(spec)
    sent = json.dumps(payload["spec"])
    assert str(tmp_path) not in sent and str(storage.root) not in sent
    assert payload["spec"]["data"]["sources"] == [
        {"path": "data/source-0.jsonl", "weight": 1.0}, {"path": "data/source-1.jsonl", "weight": 2.0}
    ]
    assert payload["spec"]["data"]["validation_path"] == "data/validation.jsonl"
    assert payload["spec"]["resume_from_checkpoint"] is None
    assert not any(Path(v).is_absolute() for v in (payload["spec"]["output_dir"], payload["spec"]["model_cache_dir"]))
    assert set(payload["files"]) == {"data/source-0.jsonl", "data/source-1.jsonl", "data/validation.jsonl"}
    assert payload["files"]["data/source-0.jsonl"] == rows
    # Everything else is the spec as resolved.
    relocated = type(spec).model_validate(payload["spec"])
    assert relocated.model_dump(exclude={"data", "output_dir", "model_cache_dir", "resume_from_checkpoint"}) == spec.model_dump(
        exclude={"data", "output_dir", "model_cache_dir", "resume_from_checkpoint"}
    )


async def test_test_hooks_are_refused_outside_test_mode(client, register, settings):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    body = _job(version, debug={"step_delay_s": 0.5})
    previous = settings.environment
    settings.environment = "development"
    try:
        refused = await client.post(f"/api/teams/{alice.team_id}/jobs", json=body, headers=alice.headers)
        estimate = await client.post(f"/api/teams/{alice.team_id}/jobs/estimate", json=body, headers=alice.headers)
        plain = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version), headers=alice.headers)
    finally:
        settings.environment = previous
    assert refused.status_code == 400 and "Test hooks are disabled" in refused.json()["detail"]
    assert estimate.status_code == 400 and "Test hooks are disabled" in estimate.json()["detail"]
    assert plain.status_code == 201, plain.text

    accepted = await client.post(f"/api/teams/{alice.team_id}/jobs", json=body, headers=alice.headers)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["config"]["debug"]["step_delay_s"] == 0.5


@pytest.fixture
def migration():
    path = ROOT / "migrations" / "versions" / "0005_job_config_shape.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_rewrites_old_stored_configs(migration):
    main, other = str(uuid.uuid4()), str(uuid.uuid4())
    old = {
        "method": "sft", "adapter": "lora", "provider": "auto", "base_model": "tiny-llama", "dataset_version_id": main,
        "weight": 1.0, "preset": "quick", "lora": {}, "qlora": {}, "hyperparameters": {"max_steps": 5},
        "method_options": {}, "grpo": {}, "eval": {}, "seed": 42, "auto_oom_retry": True, "merge_adapter": False, "debug": {},
        "data": {"max_length": 64, "files": {"train": "datasets/a/train.jsonl", "validation": None},
                 "mixture": [{"key": "datasets/b/rows.jsonl", "weight": 0.5, "dataset_version_id": other}]},
    }
    new = migration.new_shape(old)
    assert new["data"] == {"max_length": 64}
    assert new["mixture"] == [{"dataset_version_id": other, "weight": 0.5}]
    config = JobConfig.model_validate(new)
    assert config.hyperparameters.max_steps == 5 and config.hyperparameters.scheduler == "constant"
    assert migration.new_shape(config.model_dump(mode="json")) == config.model_dump(mode="json")

    versions = {main: {"train": "datasets/a/train.jsonl"}, other: {"rows": "datasets/b/rows.jsonl"}}
    assert migration.old_shape(new, versions) == {**old, "data": {**old["data"], "files": {"train": "datasets/a/train.jsonl", "validation": None}}}


def test_the_migration_round_trips_stored_rows(pg_url, migration):
    import asyncio

    import asyncpg

    from tuneforge import migrate

    admin = pg_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    url = pg_url.rsplit("/", 1)[0] + "/job_config_shape"
    team, dataset, main, other, job = (uuid.uuid4() for _ in range(5))
    old = {"method": "sft", "dataset_version_id": str(main), "weight": 1.0, "lora": {}, "hyperparameters": {"max_steps": 5},
           "data": {"max_length": 64, "files": {"train": "datasets/a/train.jsonl", "validation": None},
                    "mixture": [{"key": "datasets/b/rows.jsonl", "weight": 0.5, "dataset_version_id": str(other)}]}}

    async def sql(target: str, *statements: tuple) -> list:
        conn = await asyncpg.connect(target.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return [await conn.fetch(query, *args) for query, *args in statements]
        finally:
            await conn.close()

    asyncio.run(sql(admin, ("DROP DATABASE IF EXISTS job_config_shape",), ("CREATE DATABASE job_config_shape",)))
    migrate.upgrade(url, "0004_data_kind_vocabulary")
    asyncio.run(sql(
        url,
        ("INSERT INTO team (id, name, slug) VALUES ($1, 't', 't')", team),
        ("INSERT INTO dataset (id, team_id, name) VALUES ($1, $2, 'd')", dataset, team),
        ("INSERT INTO dataset_version (id, dataset_id, number, sha256, operation, files, status) "
         "VALUES ($1, $2, 1, 'x', 'upload', $3::jsonb, 'usable'), ($4, $2, 2, 'y', 'upload', $5::jsonb, 'usable')",
         main, dataset, json.dumps({"train": "datasets/a/train.jsonl"}), other, json.dumps({"rows": "datasets/b/rows.jsonl"})),
        ("INSERT INTO job (id, team_id, name, status, method, adapter, base_model, config, executor) "
         "VALUES ($1, $2, 'j', 'succeeded', 'sft', 'lora', 'tiny-llama', $3::jsonb, 'local')", job, team, json.dumps(old)),
    ))
    read = ("SELECT config FROM job WHERE id = $1", job)

    migrate.upgrade(url)
    [[row]] = asyncio.run(sql(url, read))
    assert json.loads(row["config"]) == migration.new_shape(old)
    JobConfig.model_validate(json.loads(row["config"]))

    migrate.downgrade(url, "0004_data_kind_vocabulary")
    [[row]] = asyncio.run(sql(url, read))
    assert json.loads(row["config"]) == {**old, "data": {**old["data"], "files": {"train": "datasets/a/train.jsonl", "validation": None}}}
