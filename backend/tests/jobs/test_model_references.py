"""Every model a job names goes through one allow-list with one answer; no server path reaches a user;
"org/name" is never a folder in the working directory; the trainer gets no server secret.

In-process API against the real PostgreSQL (rolled back per test). The worker part runs the real
JobRunner and LocalExecutor with a stand-in trainer (a few lines of Python instead of training).
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml

from tuneforge.jobs.resolve import output_key
from tuneforge.storage import get_storage

from .conftest import CHAT_ROWS
from .test_jobs_api import _job, _model_folder, _upload

HF_TOKEN = "hf_validtoken1234567890"  # alice's, in the fake_hub fixture
SERVER_SECRETS = ("DATABASE_URL", "TUNEFORGE_JWT_SECRET", "TUNEFORGE_ENCRYPTION_KEYS")


def _grpo(version: str, reward_model: str, **extra) -> dict:
    return _job(version, method="grpo", grpo={"reward_model": reward_model, "rewards": [{"kind": "length", "target_length": 4}]},
                hyperparameters={"max_steps": 2, "batch_size": 4}, **extra)


def _server_roots() -> tuple[str, str]:
    storage = get_storage()
    return str(storage.root), str(storage.root.parent)


async def _finished_output(client, account, version: str) -> tuple[str, Path]:
    """A job of `account`'s team and its output folder, holding a model as a finished run leaves it."""
    created = await client.post(f"/api/teams/{account.team_id}/jobs", json=_job(version), headers=account.headers)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    return job_id, _model_folder(get_storage().path(output_key(job_id)))


# -- one allow-list, one answer ------------------------------------------------------------------------


async def test_a_reward_model_outside_the_allow_list_gets_the_same_answer_whether_or_not_it_exists(client, register):
    alice = await register()
    mallory = await register()
    version = await _upload(client, mallory, "chat", CHAT_ROWS)
    _, alices_output = await _finished_output(client, alice, await _upload(client, alice, "chat", CHAT_ROWS))
    alices_job = alices_output.parent.name

    hostile = [
        "/etc",                                          # a server folder that exists
        str(alices_output),                              # another team's reward run, by path
        f"storage:jobs/{alices_job}/output",             # ... and by its storage name
        "/no/such/folder",                               # a path that does not exist
        f"storage:jobs/{uuid.uuid4()}/output",           # a job that does not exist
        str(get_storage().root / "datasets"),            # storage, but not a job output
        "../../etc",
    ]
    answers = []
    for value in hostile:
        for path in (f"/api/teams/{mallory.team_id}/jobs", f"/api/teams/{mallory.team_id}/jobs/estimate"):
            response = await client.post(path, json=_grpo(version, value), headers=mallory.headers)
            assert response.status_code == 400, (value, response.text)
            answers.append(response.json()["detail"].replace(value, "<value>"))
    assert len(set(answers)) == 1, set(answers)
    assert answers[0].startswith("grpo.reward_model '<value>' is not a model this team may use.")
    # Set on a method that does not use it, it is still checked: nothing path-like slips through.
    sft = await client.post(f"/api/teams/{mallory.team_id}/jobs", json=_job(version, grpo={"reward_model": "/etc"}),
                            headers=mallory.headers)
    assert sft.status_code == 400 and "is not a model this team may use" in sft.json()["detail"]
    assert (await client.get(f"/api/teams/{mallory.team_id}/jobs", headers=mallory.headers)).json()["total"] == 0


async def test_the_teams_own_reward_run_output_is_accepted_and_stored_by_its_storage_name(client, register):
    alice = await register()
    version = await _upload(client, alice, "chat", CHAT_ROWS)
    reward_job, output = await _finished_output(client, alice, version)

    for written in (str(output), f"storage:jobs/{reward_job}/output"):
        response = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_grpo(version, written), headers=alice.headers)
        assert response.status_code == 201, response.text
        assert response.json()["config"]["grpo"]["reward_model"] == f"storage:jobs/{reward_job}/output"


def test_every_model_reference_field_is_in_the_one_list():
    from tuneforge.jobs.schemas import JobConfig

    config = JobConfig.model_validate(
        {"dataset_version_id": str(uuid.uuid4()), "base_model": "org/base", "grpo": {"reward_model": "/x/rm"}}
    )
    assert JobConfig.MODEL_REFERENCE_FIELDS == ("base_model", "grpo.reward_model")
    assert config.model_references() == {"base_model": "org/base", "grpo.reward_model": "/x/rm"}
    changed = config.with_model_references({"grpo.reward_model": "storage:jobs/1/output"})
    assert changed.grpo.reward_model == "storage:jobs/1/output" and changed.grpo.rewards == config.grpo.rewards
    # Every other string field of the spec that could name a file is the platform's to fill.
    from tuneforge.jobs.schemas import PLATFORM_OWNED_KEYS

    assert set(PLATFORM_OWNED_KEYS) == {"output_dir", "model_cache_dir", "resume_from_checkpoint"}


# -- no server path is shown -----------------------------------------------------------------------------


async def test_the_estimate_and_the_spec_yaml_show_no_server_path(client, register):
    alice = await register()
    version = await _upload(client, alice, "chat", CHAT_ROWS)
    base_job, output = await _finished_output(client, alice, version)
    storage_root, data_dir = _server_roots()

    body = _job(version, base_model=str(output))
    estimate = await client.post(f"/api/teams/{alice.team_id}/jobs/estimate", json=body, headers=alice.headers)
    assert estimate.status_code == 200, estimate.text
    assert storage_root not in estimate.text and data_dir not in estimate.text
    shown = yaml.safe_load(estimate.json()["spec_yaml"])
    assert shown["base_model"] == f"storage:jobs/{base_job}/output"
    assert shown["data"]["sources"][0]["path"].startswith("storage:datasets/")
    assert shown["output_dir"].startswith("storage:jobs/") and "model_cache_dir" not in shown
    assert estimate.json()["spec_yaml"].startswith("# Paths are shown as TuneForge names them")

    created = await client.post(f"/api/teams/{alice.team_id}/jobs", json=body, headers=alice.headers)
    assert created.status_code == 201, created.text
    assert storage_root not in created.text and data_dir not in created.text
    job_id = created.json()["id"]
    spec_yaml = await client.get(f"/api/jobs/{job_id}/spec.yaml", headers=alice.headers)
    assert storage_root not in spec_yaml.text and data_dir not in spec_yaml.text
    spec = yaml.safe_load(spec_yaml.text)
    assert spec["output_dir"] == f"storage:jobs/{job_id}/output" and spec["model_cache_dir"] is None
    assert spec["data"]["sources"][0]["path"].startswith("storage:datasets/")


def test_redact_names_storage_and_data_paths_and_nothing_else(tmp_path):
    from tuneforge.jobs.resolve import redact
    from tuneforge.storage import Storage

    storage = Storage(tmp_path / "var" / "storage")
    text = (
        f"FileNotFoundError: {storage.root}/datasets/d/versions/v/rows.jsonl\n"
        f"cache {tmp_path}/var/models/tiny-llama, root {storage.root}, neighbour {tmp_path}/var2/x"
    )
    assert redact(text, storage) == (
        "FileNotFoundError: storage:datasets/d/versions/v/rows.jsonl\n"
        f"cache data:models/tiny-llama, root storage:, neighbour {tmp_path}/var2/x"
    )


# -- a run on a worker: what it stores, what the trainer gets --------------------------------------------

# Dumps the environment and working directory it got, reports a checkpoint and the output folder with
# their server paths, writes the data file's path to stderr (as a traceback would), then finishes.
STAND_IN_TRAINER = textwrap.dedent("""
    import json, os, sys
    spec = json.load(open(sys.argv[1]))
    out = spec["output_dir"]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "seen.json"), "w") as fh:
        json.dump({"env": dict(os.environ), "cwd": os.getcwd(), "cwd_entries": os.listdir("."),
                   "org_name_is_a_folder_here": os.path.isdir("org/name")}, fh)
    print(json.dumps({"type": "checkpoint", "step": 1, "path": out + "/checkpoint-1"}), flush=True)
    print("Traceback: no such file " + spec["data"]["sources"][0]["path"], file=sys.stderr)
    print(json.dumps({"type": "finished", "output_dir": out, "metrics": {"loss": 1.0}}), flush=True)
""")


async def _run_on_worker(app, job_id: str) -> dict:
    from tuneforge.worker.supervisor import JobRunner

    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="test-worker",
                       trainer_command=[sys.executable, "-c", STAND_IN_TRAINER])
    await runner.run(uuid.UUID(job_id))
    return json.loads((get_storage().path(output_key(job_id)) / "seen.json").read_text())


@pytest.fixture
def worker_environment(monkeypatch, tmp_path):
    """The worker's environment holds every server secret (and a token of the operator's own); its working
    directory has a folder named like a Hub model."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://tuneforge:db-password@db/tuneforge")
    monkeypatch.setenv("HF_TOKEN", "hf_the_operators_own_token")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    assert os.environ["TUNEFORGE_JWT_SECRET"] and os.environ["TUNEFORGE_ENCRYPTION_KEYS"]
    _model_folder(tmp_path / "org" / "name")
    monkeypatch.chdir(tmp_path)


async def test_a_run_shows_no_server_path_and_the_trainer_gets_no_server_secret(
    app, client, register, fake_hub, worker_environment
):
    alice = await register()
    saved = await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=alice.headers)
    assert saved.status_code == 200, saved.text
    version = await _upload(client, alice, "chat", CHAT_ROWS)
    storage_root, data_dir = _server_roots()

    # A Hub base model: the trainer gets its owner's token as HF_TOKEN, and no server secret.
    hub_job = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, base_model="org/name"), headers=alice.headers)
    assert hub_job.status_code == 201, hub_job.text
    seen = await _run_on_worker(app, hub_job.json()["id"])
    for name in SERVER_SECRETS + ("AWS_SECRET_ACCESS_KEY",):
        assert name not in seen["env"], name
    assert seen["env"]["PATH"] and seen["env"]["HF_TOKEN"] == HF_TOKEN
    assert not any(value and value in json.dumps(seen["env"]) for value in (os.environ["TUNEFORGE_JWT_SECRET"], "db-password"))
    # "org/name" finds nothing in the trainer's working directory (an empty one of its own).
    assert seen["org_name_is_a_folder_here"] is False and seen["cwd_entries"] == []
    assert Path(seen["cwd"]) != Path.cwd()

    done = (await client.get(f"/api/jobs/{hub_job.json()['id']}", headers=alice.headers))
    job = done.json()
    assert job["status"] == "succeeded", job
    assert storage_root not in done.text and data_dir not in done.text
    assert job["resolved_spec"]["output_dir"] == f"storage:jobs/{job['id']}/output"
    assert job["resolved_spec"]["data"]["sources"][0]["path"].startswith("storage:datasets/")
    assert job["stderr_tail"].startswith("Traceback: no such file storage:datasets/")
    assert job["last_checkpoint"] == f"storage:jobs/{job['id']}/output/checkpoint-1"
    assert job["result"]["output_dir"] == f"storage:jobs/{job['id']}/output"
    events = await client.get(f"/api/jobs/{job['id']}/events", headers=alice.headers)
    assert storage_root not in events.text and data_dir not in events.text
    spec_yaml = await client.get(f"/api/jobs/{job['id']}/spec.yaml", headers=alice.headers)
    assert storage_root not in spec_yaml.text and data_dir not in spec_yaml.text

    # A finished job's output, as the wizard offers it (result.output_dir), is a base model for the next.
    again = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, base_model=job["result"]["output_dir"]),
                              headers=alice.headers)
    assert again.status_code == 400 and "holds no model" in again.json()["detail"]  # the stand-in saved none

    # A bundled model needs no Hub: no HF_TOKEN at all, neither the user's nor the operator's.
    bundled = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version), headers=alice.headers)
    assert bundled.status_code == 201, bundled.text
    seen = await _run_on_worker(app, bundled.json()["id"])
    assert "HF_TOKEN" not in seen["env"] and "PATH" in seen["env"]
    for name in SERVER_SECRETS:
        assert name not in seen["env"], name


async def test_the_local_executor_passes_only_the_allow_list_and_what_it_is_given(tmp_path, worker_environment):
    from tuneforge.worker.local_executor import LocalExecutor

    dump = tmp_path / "env.json"
    executor = LocalExecutor(command=[sys.executable, "-c", f"import json, os; json.dump(dict(os.environ), open({str(dump)!r}, 'w'))"])
    result = await executor.run(spec={"method": "sft"}, timeout_s=30, on_event=lambda e: None, output_dir=tmp_path / "out",
                                env={"HF_TOKEN": "hf_for_this_job"})
    assert result.returncode == 0, result.stderr_tail
    env = json.loads(dump.read_text())
    assert not set(SERVER_SECRETS) & set(env) and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HF_TOKEN"] == "hf_for_this_job" and env["PATH"] == os.environ["PATH"]
    assert env["PYTHONUNBUFFERED"] == "1" and env["TOKENIZERS_PARALLELISM"] == "false"


def test_the_modal_container_gives_its_trainer_the_same_allow_list(monkeypatch, worker_environment):
    from tuneforge.worker import modal_container

    seen: dict = {}

    class FakeProcess:
        def __init__(self, args, **kwargs):
            seen.update(kwargs)
            seen["cwd_entries"] = os.listdir(kwargs["cwd"])
            self.stdout = iter(())
            self.stderr = type("Err", (), {"read": staticmethod(lambda: "")})()

        def wait(self):
            return 0

        def terminate(self):
            pass

        kill = terminate

    monkeypatch.setattr(modal_container.subprocess, "Popen", FakeProcess)
    payload = {"spec": {"method": "sft"}, "files": {}, "env": {"HF_TOKEN": "hf_for_this_job"}}
    items = list(modal_container.container_entry(payload))
    assert items[-1][0] == "exit"
    assert not set(SERVER_SECRETS) & set(seen["env"]) and "AWS_SECRET_ACCESS_KEY" not in seen["env"]
    assert seen["env"]["HF_TOKEN"] == "hf_for_this_job" and "PATH" in seen["env"]
    assert seen["cwd_entries"] == []


# -- "org/name" is a Hub id, never a folder in the working directory -------------------------------------


def test_a_hub_id_is_never_loaded_from_a_folder_of_that_name(tmp_path, monkeypatch):
    from tuneforge.training.exceptions import SpecError
    from tuneforge.training.loading import resolve_base_model
    from tuneforge.training.spec import TrainingSpec

    here = tmp_path / "cwd"
    folder = _model_folder(here / "org" / "name")
    monkeypatch.chdir(here)
    with pytest.raises(SpecError, match="read as a Hugging Face Hub id"):
        resolve_base_model("org/name", tmp_path / "cache")
    assert resolve_base_model("./org/name", tmp_path / "cache").resolve() == folder.resolve()  # explicit: that folder

    # A spec file next to such a folder: the name stays a name; "./" makes it a folder next to the spec.
    _model_folder(tmp_path / "spec-dir" / "org" / "name")
    spec_file = tmp_path / "spec-dir" / "spec.yaml"
    spec_file.write_text(yaml.safe_dump({"base_model": "org/name", "grpo": {"reward_model": "org/name"},
                                         "data": "rows.jsonl", "output_dir": "out"}))
    spec = TrainingSpec.from_file(spec_file)
    assert spec.base_model == "org/name" and spec.grpo.reward_model == "org/name"
    spec_file.write_text(yaml.safe_dump({"base_model": "./org/name", "data": "rows.jsonl", "output_dir": "out"}))
    assert TrainingSpec.from_file(spec_file).base_model == str((tmp_path / "spec-dir" / "org" / "name").resolve())
