"""The model registry: a succeeded job records a version with its exact lineage; tags are unique per model
and move; a version is a base model for new jobs (same team only) and cannot be deleted while used;
versions compare side by side; another team's versions answer 404.

In-process API against the real PostgreSQL (rolled back per test); jobs run through the real JobRunner
and LocalExecutor with a stand-in trainer that writes an adapter, an evaluation report and loss events.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import textwrap
import uuid
from importlib import metadata

import pytest

from tuneforge.jobs.resolve import output_key
from tuneforge.storage import get_storage

from ..jobs.conftest import CHAT_ROWS
from ..jobs.test_jobs_api import _job, _model_folder, _upload

# Loss and answers depend on the learning rate, so two runs differ; it records the base model it was given.
STAND_IN_TRAINER = textwrap.dedent("""
    import json, os, sys
    spec = json.load(open(sys.argv[1]))
    out = spec["output_dir"]
    lr = spec["hyperparameters"].get("learning_rate") or 0.0002
    os.makedirs(out + "/checkpoint-2", exist_ok=True)
    open(out + "/checkpoint-2/trainer_state.json", "w").write("{}")
    json.dump({"base_model_name_or_path": spec["base_model"], "peft_type": "LORA"}, open(out + "/adapter_config.json", "w"))
    open(out + "/adapter_model.safetensors", "wb").write(b"weights-" + str(lr).encode() * 100)
    json.dump({"base_model": spec["base_model"]}, open(out + "/seen.json", "w"))
    json.dump({"summary": {"fine_tuned": {"rougeL": lr * 100}},
               "samples": [{"prompt": "What is 2 plus 2?", "reference": "4", "fine_tuned": "answer at " + str(lr)}]},
              open(out + "/evaluation.json", "w"))
    for step in (1, 2):
        print(json.dumps({"type": "metric", "step": step, "loss": lr * 1000 / step}), flush=True)
    print(json.dumps({"type": "eval", "step": 2, "eval_loss": lr * 900}), flush=True)
    print(json.dumps({"type": "finished", "output_dir": out, "metrics": {"loss": lr * 500, "eval_loss": lr * 900}}), flush=True)
""")


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _launch(client, account, version: str, **extra) -> str:
    created = await client.post(f"/api/teams/{account.team_id}/jobs", json=_job(version, **extra), headers=account.headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def _run(app, job_id: str) -> None:
    from tuneforge.worker.supervisor import JobRunner

    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="test-worker",
                       trainer_command=[sys.executable, "-c", STAND_IN_TRAINER])
    await runner.run(uuid.UUID(job_id))


async def _version_of(client, account, job_id: str) -> dict:
    summary = await client.get(f"/api/jobs/{job_id}/model-version", headers=account.headers)
    assert summary.status_code == 200 and summary.json(), summary.text
    full = await client.get(f"/api/model-versions/{summary.json()['id']}", headers=account.headers)
    assert full.status_code == 200, full.text
    return full.json()


@pytest.fixture
def model_dir(settings, tmp_path):
    registered = tmp_path / "models"
    base = _model_folder(registered / "my-llama")
    (base / "model.safetensors").write_bytes(b"base weights")
    (base / "tokenizer.json").write_text("{}")  # not part of the model's identity
    previous = settings.model_dirs
    settings.model_dirs = [registered]
    yield base
    settings.model_dirs = previous


async def test_a_succeeded_job_records_its_lineage_exactly(app, client, register, model_dir):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    job_id = await _launch(client, alice, version, base_model=str(model_dir), name="sums-bot")
    await _run(app, job_id)
    job = (await client.get(f"/api/jobs/{job_id}", headers=alice.headers)).json()
    assert job["status"] == "succeeded", (job["message"], job["stderr_tail"])

    got = await _version_of(client, alice, job_id)
    assert (got["model_name"], got["number"], got["tags"], got["archived"]) == ("sums-bot", 1, [], False)
    assert got["reference"] == f"version:{got['id']}" and got["files_missing"] is False and got["used_by"] == []
    lineage = got["lineage"]
    assert lineage["recorded"] == "at_finish" and lineage["unknown"] == []
    assert lineage["job_id"] == job_id and lineage["launched_by"]["name"] == "Ada"
    # The base model folder: its config and weights hashed (the tokenizer is not part of its identity).
    assert lineage["base_model"]["kind"] == "folder" and lineage["base_model"]["reference"] == str(model_dir)
    assert lineage["base_model"]["files_sha256"] == {
        "config.json": _sha(model_dir / "config.json"), "model.safetensors": _sha(model_dir / "model.safetensors")
    }
    # The dataset version and the sha256 of the train file it trained on.
    storage = get_storage()
    (data,) = lineage["datasets"]
    assert data["version_id"] == version and data["dataset_name"] == "sums" and data["version_number"] == 1
    train_key = data["file"].removeprefix("storage:")
    assert train_key.startswith(f"datasets/{data['dataset_id']}/versions/{version}/")
    assert data["file_sha256"] == _sha(storage.path(train_key))
    assert job["resolved_spec"]["data"]["sources"][0]["path"] == data["file"]  # the file the job trained on
    assert lineage["spec"] == job["resolved_spec"]
    assert lineage["libraries"] == {name: metadata.version(name) for name in ("torch", "transformers", "peft", "trl")}
    assert lineage["hardware"]["worker"] == "test-worker" and lineage["hardware"]["executor"] == "local"
    assert lineage["duration_s"] is not None and lineage["cost_usd"] == 0.0
    assert lineage["metrics"] == {"loss": 0.1, "eval_loss": pytest.approx(0.18)}
    output = storage.path(output_key(job_id))
    assert lineage["evaluation"] == json.loads((output / "evaluation.json").read_text())
    files = {f["path"]: f["size_bytes"] for f in lineage["files"]}
    assert files["adapter_model.safetensors"] == (output / "adapter_model.safetensors").stat().st_size
    hashes = {f["path"]: f["sha256"] for f in lineage["files"]}
    assert hashes["adapter_model.safetensors"] == _sha(output / "adapter_model.safetensors")
    assert hashes["adapter_config.json"] == _sha(output / "adapter_config.json")
    assert hashes["evaluation.json"] is None  # reports are listed, not hashed
    assert not any(path.startswith("checkpoint-") for path in files)
    assert got["key_metric"] == {"name": "eval_loss", "value": pytest.approx(0.18)}


async def test_tags_are_unique_per_model_and_move_between_versions(app, client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    first = await _launch(client, alice, version, name="bot")
    await _run(app, first)
    v1 = await _version_of(client, alice, first)
    second = await _launch(client, alice, version, name="bot retrained", register_as={"model_id": v1["model_id"]})
    await _run(app, second)
    v2 = await _version_of(client, alice, second)
    assert (v2["model_id"], v2["model_name"], v2["number"]) == (v1["model_id"], "bot", 2)

    tag = lambda v, name: client.put(f"/api/model-versions/{v['id']}/tags/{name}", headers=alice.headers)  # noqa: E731
    assert (await tag(v1, "production")).json()["tags"] == ["production"]
    assert (await tag(v1, "candidate")).json()["tags"] == ["candidate", "production"]
    assert (await tag(v2, "production")).json()["tags"] == ["production"]  # moved
    assert (await client.get(f"/api/model-versions/{v1['id']}", headers=alice.headers)).json()["tags"] == ["candidate"]
    assert (await tag(v1, "Not A Tag")).status_code == 422
    (model,) = (await client.get(f"/api/teams/{alice.team_id}/models", headers=alice.headers)).json()
    assert model["tags"] == {"candidate": 1, "production": 2} and model["version_count"] == 2 and model["latest"]["number"] == 2

    removed = await client.delete(f"/api/model-versions/{v1['id']}/tags/candidate", headers=alice.headers)
    assert removed.status_code == 200 and removed.json()["tags"] == []
    edited = await client.patch(f"/api/model-versions/{v1['id']}", json={"notes": "first try", "archived": True}, headers=alice.headers)
    assert edited.json()["notes"] == "first try" and edited.json()["archived"] is True
    assert (await tag(v1, "candidate")).status_code == 400  # archived
    assert (await client.patch(f"/api/model-versions/{v1['id']}", json={"lineage": {}}, headers=alice.headers)).status_code == 422
    listed = (await client.get(f"/api/teams/{alice.team_id}/model-versions", headers=alice.headers)).json()
    assert [v["id"] for v in listed["items"]] == [v2["id"]] and listed["total"] == 1  # archived versions are not offered in the wizard
    (model,) = (await client.get(f"/api/teams/{alice.team_id}/models", headers=alice.headers)).json()
    assert model["latest"]["number"] == 2 and model["latest"]["tags"] == ["production"] and model["version_count"] == 2
    everything = await client.get(f"/api/teams/{alice.team_id}/model-versions", params={"include_archived": "true", "limit": 1},
                                  headers=alice.headers)
    assert [v["number"] for v in everything.json()["items"]] == [2] and everything.json()["total"] == 2  # newest first
    second = await client.get(f"/api/teams/{alice.team_id}/model-versions",
                              params={"include_archived": "true", "limit": 1, "offset": 1}, headers=alice.headers)
    assert [(v["number"], v["archived"], v["tags"]) for v in second.json()["items"]] == [(1, True, [])]
    assert second.json()["items"][0]["key_metric"] == v1["key_metric"] and second.json()["items"][0]["base_model"] == v1["base_model"]
    search = lambda q: client.get(f"/api/teams/{alice.team_id}/model-versions", params={"q": q}, headers=alice.headers)  # noqa: E731
    assert (await search("BO")).json()["total"] == 1 and (await search("b%")).json() == {"items": [], "total": 0}


async def test_a_version_is_a_base_model_and_cannot_be_deleted_while_used(app, client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    first = await _launch(client, alice, version, name="bot")
    await _run(app, first)
    v1 = await _version_of(client, alice, first)

    child = await _launch(client, alice, version, name="bot continued", base_model=v1["reference"])
    job = (await client.get(f"/api/jobs/{child}", headers=alice.headers)).json()
    assert job["base_model"] == v1["reference"] and job["config"]["base_model"] == v1["reference"]
    spec_yaml = (await client.get(f"/api/jobs/{child}/spec.yaml", headers=alice.headers)).text
    assert f"base_model: storage:jobs/{first}/output" in spec_yaml
    await _run(app, child)
    storage = get_storage()
    parent_output = storage.path(output_key(first))
    assert json.loads((storage.path(output_key(child)) / "seen.json").read_text())["base_model"] == str(parent_output)
    v_child = await _version_of(client, alice, child)
    assert v_child["lineage"]["base_model"] == {
        "reference": v1["reference"], "kind": "model_version", "version_id": v1["id"], "job_id": first, "note": None,
        "files_sha256": {name: _sha(parent_output / name) for name in ("adapter_config.json", "adapter_model.safetensors")},
    }

    used = await client.get(f"/api/model-versions/{v1['id']}", headers=alice.headers)
    assert [u["job_id"] for u in used.json()["used_by"]] == [child]
    refused = await client.delete(f"/api/model-versions/{v1['id']}", headers=alice.headers)
    assert refused.status_code == 409 and "'bot continued'" in refused.json()["detail"]
    assert (await client.delete(f"/api/jobs/{child}", headers=alice.headers)).status_code == 204
    assert (await client.delete(f"/api/model-versions/{v1['id']}", headers=alice.headers)).status_code == 204
    assert (await client.get(f"/api/model-versions/{v1['id']}", headers=alice.headers)).status_code == 404


async def test_a_version_whose_files_are_missing_says_so(app, client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    first = await _launch(client, alice, version)
    await _run(app, first)
    v1 = await _version_of(client, alice, first)
    assert v1["files_missing"] is False
    # A weight file cut short (a copy that did not finish) is noticed too.
    weights = get_storage().path(output_key(first)) / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:10])
    got = (await client.get(f"/api/model-versions/{v1['id']}", headers=alice.headers)).json()
    assert got["files_missing"] is True
    shutil.rmtree(get_storage().path(output_key(first)))
    got = (await client.get(f"/api/model-versions/{v1['id']}", headers=alice.headers)).json()
    assert got["files_missing"] is True
    launch = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, base_model=v1["reference"]), headers=alice.headers)
    assert launch.status_code == 400 and "files are missing" in launch.json()["detail"]
    assert (await client.delete(f"/api/model-versions/{v1['id']}", headers=alice.headers)).status_code == 204


async def test_compare_versions_side_by_side(app, client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    jobs = []
    for lr in (0.0002, 0.0004):
        jobs.append(await _launch(client, alice, version, name="bot", hyperparameters={"max_steps": 5, "learning_rate": lr}))
        await _run(app, jobs[-1])
    v1, v2 = [await _version_of(client, alice, j) for j in jobs]
    compared = await client.get(f"/api/teams/{alice.team_id}/model-versions/compare", params={"ids": f"{v1['id']},{v2['id']}"},
                                headers=alice.headers)
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert [(v["model_name"], v["number"]) for v in body["versions"]] == [("bot", 1), ("bot", 2)]
    config = {row["key"]: row for row in body["config"]}
    assert config["hyperparameters.learning_rate"] == {"key": "hyperparameters.learning_rate", "values": [0.0002, 0.0004], "differs": True}
    assert config["method"] == {"key": "method", "values": ["sft", "sft"], "differs": False}
    assert "output_dir" not in config
    metrics = {row["key"]: row["values"] for row in body["metrics"]}
    assert metrics["loss"] == [pytest.approx(0.1), pytest.approx(0.2)]
    curves = {c["version_id"]: c["points"] for c in body["loss_curves"]}
    assert curves[v1["id"]] == [{"step": 1, "loss": pytest.approx(0.2), "eval_loss": None},
                                {"step": 2, "loss": pytest.approx(0.1), "eval_loss": pytest.approx(0.18)}]
    assert body["evaluation"] == [{"prompt": "What is 2 plus 2?", "reference": "4", "answers": ["answer at 0.0002", "answer at 0.0004"]}]
    one = await client.get(f"/api/teams/{alice.team_id}/model-versions/compare", params={"ids": v1["id"]}, headers=alice.headers)
    assert one.status_code == 400


async def test_another_teams_versions_answer_404(app, client, register):
    alice = await register()
    bob = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    job_id = await _launch(client, alice, version)
    await _run(app, job_id)
    v1 = await _version_of(client, alice, job_id)
    bobs_version = await _upload(client, bob, "sums", CHAT_ROWS)
    bobs_job = await _launch(client, bob, bobs_version)
    await _run(app, bobs_job)
    v_bob = await _version_of(client, bob, bobs_job)

    for method, path, body in [
        ("GET", f"/api/model-versions/{v1['id']}", None),
        ("PATCH", f"/api/model-versions/{v1['id']}", {"notes": "x"}),
        ("PUT", f"/api/model-versions/{v1['id']}/tags/production", None),
        ("DELETE", f"/api/model-versions/{v1['id']}", None),
        ("GET", f"/api/models/{v1['model_id']}", None),
        ("GET", f"/api/jobs/{job_id}/model-version", None),
        ("GET", f"/api/teams/{bob.team_id}/model-versions/compare?ids={v_bob['id']},{v1['id']}", None),
    ]:
        response = await client.request(method, path, json=body, headers=bob.headers)
        assert response.status_code == 404, (method, path, response.text)
    # As a base model: the allow-list's one refusal, as for any model the team may not use.
    launch = await client.post(f"/api/teams/{bob.team_id}/jobs", json=_job(bobs_version, base_model=v1["reference"]), headers=bob.headers)
    assert launch.status_code == 400 and "is not a model this team may use" in launch.json()["detail"]
    # Nor can bob file his job's version into alice's model.
    into = await client.post(f"/api/teams/{bob.team_id}/jobs", json=_job(bobs_version, register_as={"model_id": v1["model_id"]}),
                             headers=bob.headers)
    assert into.status_code == 400 and "register_as.model_id" in into.json()["detail"]
    both = await client.post(f"/api/teams/{bob.team_id}/jobs",
                             json=_job(bobs_version, register_as={"model_id": v1["model_id"], "model_name": "x"}), headers=bob.headers)
    assert both.status_code == 422
