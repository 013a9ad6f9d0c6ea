"""The jobs API in-process (real PostgreSQL, rolled back per test): validation, isolation, lifecycle rules."""

from __future__ import annotations

import json

import pytest

from .conftest import CHAT_ROWS

PREFERENCE_ROWS = [{"prompt": f"Say {i}", "chosen": str(i), "rejected": "no"} for i in range(20)]


async def _upload(client, account, name: str, rows: list[dict]) -> str:
    content = "".join(json.dumps(r) + "\n" for r in rows).encode()
    response = await client.post(
        f"/api/teams/{account.team_id}/datasets",
        files=[("files", (f"{name}.jsonl", content, "application/jsonl"))],
        data={"name": name},
        headers=account.headers,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["version"]["id"]


def _job(version: str, **extra) -> dict:
    return {"method": "sft", "adapter": "lora", "base_model": "tiny-llama", "dataset_version_id": version,
            "hyperparameters": {"max_steps": 5}, **extra}


async def test_create_list_get_and_filter(client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    created = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version), headers=alice.headers)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["status"] == "queued" and job["created_by_name"] == "Ada"
    assert job["name"] == "SFT lora · tiny-llama · sums v1"
    assert job["config"]["dataset_version_id"] == version
    assert job["estimate"]["warnings"][0].startswith("No worker is online")

    listed = await client.get(f"/api/teams/{alice.team_id}/jobs", params={"status": "queued", "method": "sft"}, headers=alice.headers)
    assert [j["id"] for j in listed.json()["items"]] == [job["id"]]
    none = await client.get(f"/api/teams/{alice.team_id}/jobs", params={"method": "dpo"}, headers=alice.headers)
    assert none.json() == {"items": [], "total": 0}
    for q, found in [("SUMS", True), ("tiny-llama · sums", True), ("%", False), ("_", False), ("other", False)]:
        searched = await client.get(f"/api/teams/{alice.team_id}/jobs", params={"q": q}, headers=alice.headers)
        assert searched.json()["total"] == (1 if found else 0), q
    events = await client.get(f"/api/jobs/{job['id']}/events", headers=alice.headers)
    assert [(e["seq"], e["data"]["status"]) for e in events.json()] == [(1, "queued")]
    spec_yaml = await client.get(f"/api/jobs/{job['id']}/spec.yaml", headers=alice.headers)
    assert "method: sft" in spec_yaml.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"method": "kto"}, "KTO needs labelled completions"),
        ({"method": "dpo"}, "DPO needs preference pairs"),
        ({"method": "cpt"}, "CPT needs raw text"),
        ({"adapter": "full", "merge_adapter": True}, "merge_adapter needs an adapter"),
        ({"hyperparameters": {"batch_size": 0}}, "hyperparameters.batch_size"),
        ({"data": {"sources": ["/etc/passwd"]}}, "chosen by TuneForge"),
        ({"base_model": "nobody/no-such-model"}, "the Hugging Face Hub cannot be reached"),
        # Hostile base models: no path outside the registered folders, relative or not, is read.
        ({"base_model": "/etc"}, "base_model '/etc' is not a model this team may use"),
        ({"base_model": "../../../etc"}, "is not a model this team may use"),
        ({"base_model": "~/.ssh"}, "is not a model this team may use"),
        ({"base_model": "org/../../etc"}, "is not a model this team may use"),
        ({"base_model": "storage:../../etc"}, "is not a model this team may use"),
        ({"base_model": "<script>alert(1)</script>"}, "Use a bundled model (tiny-llama or SmolLM2-135M-Instruct)"),
    ],
)
async def test_invalid_jobs_are_refused_with_the_reason_and_nothing_is_queued(client, register, overrides, message):
    alice = await register()
    version = await _upload(client, alice, "chat", CHAT_ROWS)
    response = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, **overrides), headers=alice.headers)
    assert response.status_code in (400, 422), response.text
    assert message in response.json()["detail"]
    listed = await client.get(f"/api/teams/{alice.team_id}/jobs", headers=alice.headers)
    assert listed.json()["total"] == 0


async def test_preference_data_suggests_the_right_methods(client, register):
    alice = await register()
    version = await _upload(client, alice, "prefs", PREFERENCE_ROWS)
    response = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, method="sft"), headers=alice.headers)
    assert response.status_code == 400
    assert "Use dpo, orpo, simpo, cpo or reward for this dataset" in response.json()["detail"]
    ok = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, method="dpo"), headers=alice.headers)
    assert ok.status_code == 201


async def test_other_teams_jobs_and_datasets_are_invisible(client, register):
    alice = await register()
    mallory = await register()
    version = await _upload(client, alice, "secret", CHAT_ROWS)
    job = (await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version), headers=alice.headers)).json()

    for method, path in [("get", f"/api/jobs/{job['id']}"), ("get", f"/api/jobs/{job['id']}/events"),
                         ("post", f"/api/jobs/{job['id']}/cancel"), ("delete", f"/api/jobs/{job['id']}"),
                         ("get", f"/api/jobs/{job['id']}/artifacts"), ("get", f"/api/teams/{alice.team_id}/jobs")]:
        response = await client.request(method, path, headers=mallory.headers)
        assert response.status_code == 404, (path, response.text)
    # Nor can Mallory train on Alice's data from her own team.
    stolen = await client.post(f"/api/teams/{mallory.team_id}/jobs", json=_job(version), headers=mallory.headers)
    assert stolen.status_code == 404
    assert "No such dataset version in this team" in stolen.json()["detail"]


async def test_the_result_downloads_as_one_zip_without_checkpoints(client, register):
    import io
    import zipfile

    from tuneforge.jobs.resolve import output_key
    from tuneforge.storage import get_storage

    alice = await register()
    mallory = await register()
    version = await _upload(client, alice, "zipped", CHAT_ROWS)
    job = (await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version), headers=alice.headers)).json()
    url = f"/api/jobs/{job['id']}/artifacts.zip"
    nothing_yet = await client.get(url, headers=alice.headers)
    assert nothing_yet.status_code == 404 and "no result files yet" in nothing_yet.json()["detail"]

    output = get_storage().path(output_key(job["id"]))
    weights = bytes(range(256)) * 5000  # > one read chunk, so it streams in pieces
    result = {"adapter_model.safetensors": weights, "adapter_config.json": b'{"r": 8}', "README.md": b"# card",
              "merged/model.safetensors": b"merged"}
    checkpoint = {"checkpoints/checkpoint-2/optimizer.pt": b"opt", "checkpoints/checkpoint-2/rng_state.pth": b"rng",
                  "checkpoint-4/adapter_model.safetensors": b"old layout"}
    for relative, content in {**result, **checkpoint}.items():
        (output / relative).parent.mkdir(parents=True, exist_ok=True)
        (output / relative).write_bytes(content)

    response = await client.get(url, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="SFT-lora')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        folder = names[0].split("/", 1)[0]
        assert sorted(n.split("/", 1)[1] for n in names) == sorted(result)
        assert archive.read(f"{folder}/adapter_model.safetensors") == weights
    assert not any("checkpoint" in n or n.endswith((".pt", ".pth")) for n in names)

    # Someone of another team cannot tell the job exists.
    refused = await client.get(url, headers=mallory.headers)
    assert refused.status_code == 404


async def test_lifecycle_rules(client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    job = (await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version), headers=alice.headers)).json()

    refused = await client.delete(f"/api/jobs/{job['id']}", headers=alice.headers)
    assert refused.status_code == 409 and "Cancel it first" in refused.json()["detail"]
    no_resume = await client.post(f"/api/jobs/{job['id']}/resume", headers=alice.headers)
    assert no_resume.status_code == 409

    cancelled = await client.post(f"/api/jobs/{job['id']}/cancel", headers=alice.headers)
    assert cancelled.json()["status"] == "cancelled"
    nothing_saved = await client.post(f"/api/jobs/{job['id']}/resume", headers=alice.headers)
    assert nothing_saved.status_code == 409 and "Use Retry" in nothing_saved.json()["detail"]
    retried = await client.post(f"/api/jobs/{job['id']}/retry", headers=alice.headers)
    assert retried.json()["status"] == "queued"

    clone = await client.post(f"/api/jobs/{job['id']}/clone", json={"hyperparameters": {"max_steps": 9}}, headers=alice.headers)
    assert clone.status_code == 201
    assert clone.json()["cloned_from_id"] == job["id"]
    assert clone.json()["config"]["hyperparameters"]["max_steps"] == 9

    # A dataset a job trained on cannot be deleted out from under it.
    datasets = (await client.get(f"/api/teams/{alice.team_id}/datasets", headers=alice.headers)).json()
    deleted = await client.delete(f"/api/teams/{alice.team_id}/datasets/{datasets[0]['id']}", headers=alice.headers)
    assert deleted.status_code == 409
    assert "is used by job" in deleted.json()["detail"]


async def test_viewers_cannot_launch(client, register, db):
    from sqlalchemy import text

    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    await db.execute(text("UPDATE membership SET role = 'viewer'"))
    response = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version), headers=alice.headers)
    assert response.status_code == 403
    assert "needs the member role" in response.json()["detail"]


async def test_templates_and_analytics(client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    template = await client.post(
        f"/api/teams/{alice.team_id}/job-templates",
        json={"name": "quick sft", "config": _job(version)},
        headers=alice.headers,
    )
    assert template.status_code == 201
    duplicate = await client.post(
        f"/api/teams/{alice.team_id}/job-templates", json={"name": "quick sft", "config": {}}, headers=alice.headers
    )
    assert duplicate.status_code == 409
    listed = await client.get(f"/api/teams/{alice.team_id}/job-templates", headers=alice.headers)
    config = listed.json()[0]["config"]
    launched = await client.post(f"/api/teams/{alice.team_id}/jobs", json=config, headers=alice.headers)
    assert launched.status_code == 201

    analytics = (await client.get(f"/api/teams/{alice.team_id}/analytics", headers=alice.headers)).json()
    assert analytics["total_jobs"] == 1
    assert analytics["by_status"] == {"queued": 1}
    assert [(m["method"], m["jobs"]) for m in analytics["compute_by_method"]] == [("sft", 1)]


async def test_estimate_covers_modal_gpus_and_returns_a_runnable_yaml(client, register):
    alice = await register()
    version = await _upload(client, alice, "sums", CHAT_ROWS)
    response = await client.post(f"/api/teams/{alice.team_id}/jobs/estimate", json=_job(version), headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    gpus = {t["gpu_type"]: t for t in body["targets"] if t["executor"] == "modal"}
    assert {"T4", "A10G", "A100-80GB", "H100"} <= set(gpus)
    assert all(t["fits"] for t in gpus.values())
    assert gpus["H100"]["cost_usd"] is not None
    assert "method: sft" in body["spec_yaml"]


def _model_folder(path, *, config: bool = True):
    from tuneforge.training.estimate import KNOWN_CONFIGS

    path.mkdir(parents=True, exist_ok=True)
    if config:
        (path / "config.json").write_text(json.dumps({**KNOWN_CONFIGS["tiny-llama"], "architectures": ["LlamaForCausalLM"]}))
    return path


async def test_registered_model_folders_are_listed_and_the_only_folders_allowed(client, register, settings, tmp_path):
    alice = await register()
    version = await _upload(client, alice, "chat", CHAT_ROWS)
    registered = tmp_path / "models"
    mine = _model_folder(registered / "my-llama")
    _model_folder(registered / "empty", config=False)
    outside = _model_folder(tmp_path / "elsewhere" / "model")
    previous = settings.model_dirs
    settings.model_dirs = [registered]
    try:
        folders = await client.get("/api/model-folders", headers=alice.headers)
        assert folders.json() == [{"name": "my-llama", "path": str(mine)}]
        ok = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, base_model=str(mine)), headers=alice.headers)
        assert ok.status_code == 201, ok.text
        assert ok.json()["base_model"] == str(mine)

        refusals = {
            str(outside): "is not a model this team may use",
            f"{registered}/my-llama/../../elsewhere/model": "is not a model this team may use",
            str(registered / "empty"): "holds no model",
            str(registered / "not-there"): "does not exist on this server",
        }
        for path, message in refusals.items():
            response = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, base_model=path), headers=alice.headers)
            assert response.status_code == 400 and message in response.json()["detail"], (path, response.text)
    finally:
        settings.model_dirs = previous
    assert (await client.get("/api/model-folders")).status_code == 401


async def test_a_previous_jobs_output_is_a_base_model_for_its_own_team_only(client, register):
    from tuneforge.jobs.resolve import output_key
    from tuneforge.storage import get_storage

    alice = await register()
    mallory = await register()
    version = await _upload(client, alice, "chat", CHAT_ROWS)
    first = (await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version), headers=alice.headers)).json()
    output = _model_folder(get_storage().path(output_key(first["id"])))  # as a finished run leaves it
    again = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, base_model=str(output)), headers=alice.headers)
    assert again.status_code == 201, again.text
    assert again.json()["base_model"] == f"storage:jobs/{first['id']}/output"  # stored, and shown, by its storage name

    theirs = await _upload(client, mallory, "chat", CHAT_ROWS)
    stolen = await client.post(f"/api/teams/{mallory.team_id}/jobs", json=_job(theirs, base_model=str(output)), headers=mallory.headers)
    assert stolen.status_code == 400
    # The same answer as for any unregistered path: nothing says the folder exists.
    assert stolen.json()["detail"].startswith(f"base_model '{output}' is not a model this team may use")


# -- validation for the machines that would run the job, not the API host -------------------------


async def _register_worker(app, name: str, target, *, devices: list[dict]) -> None:
    from tuneforge.training import capabilities
    from tuneforge.worker_registry import service

    async with app.state.sessionmaker() as session:
        await service.register(
            session=session, name=name, hostname=name, pid=1, executors=["local"], devices=devices,
            max_concurrent_jobs=1, version="0.1.0", capabilities=capabilities(target),
        )
        await session.commit()


_CPU = {"type": "cpu", "name": "x86_64", "cores": 4, "total_memory_bytes": 16 * 2**30, "can_train": True}
_GPU = {"type": "cuda", "name": "NVIDIA H100", "total_memory_bytes": 80 * 2**30, "bf16": True, "can_train": True}


async def test_an_unsloth_job_is_validated_for_the_cuda_workers_that_would_take_it(app, client, register):
    from tuneforge.training.spec import TRAIN_EXTRA_PACKAGES, Target

    alice = await register()
    version = await _upload(client, alice, "chat", CHAT_ROWS)
    unsloth = _job(version, provider="unsloth")

    async def launch():
        return await client.post(f"/api/teams/{alice.team_id}/jobs", json=unsloth, headers=alice.headers)

    # No worker online, then only a CPU worker: accepted, and it waits for a GPU worker.
    waiting = await launch()
    assert waiting.status_code == 201, waiting.text
    assert waiting.json()["estimate"]["warnings"][0].startswith("No worker is online")
    await _register_worker(app, "cpu-box", Target.standard_worker(), devices=[_CPU])
    waiting = await launch()
    assert waiting.status_code == 201, waiting.text
    assert "no GPU worker is online" in waiting.json()["estimate"]["warnings"][0]

    # A CUDA worker without unsloth is online: it would take the job and fail, so it is refused.
    await _register_worker(app, "gpu-plain", Target.standard_worker(cuda=True), devices=[_GPU])
    refused = await launch()
    assert refused.status_code == 400
    assert "provider 'unsloth' needs the unsloth package" in refused.json()["detail"]

    # A CUDA worker with unsloth joins: accepted (this API host has neither a GPU nor unsloth).
    await _register_worker(app, "gpu-unsloth", Target(cuda=True, bf16=True, packages=TRAIN_EXTRA_PACKAGES | {"unsloth"}),
                           devices=[_GPU])
    accepted = await launch()
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "queued" and "warnings" not in accepted.json()["estimate"]


async def test_qlora_is_refused_when_no_online_worker_has_bitsandbytes(app, client, register):
    from tuneforge.training.spec import HF_PACKAGES, Target

    alice = await register()
    version = await _upload(client, alice, "chat", CHAT_ROWS)
    await _register_worker(app, "no-bnb", Target(packages=HF_PACKAGES), devices=[_CPU])
    response = await client.post(f"/api/teams/{alice.team_id}/jobs", json=_job(version, adapter="qlora"), headers=alice.headers)
    assert response.status_code == 400  # although this API host has bitsandbytes installed
    assert "QLoRA needs the bitsandbytes package" in response.json()["detail"]


async def test_modal_jobs_are_validated_for_the_modal_image(client, register):
    alice = await register()
    version = await _upload(client, alice, "chat", CHAT_ROWS)

    async def estimate(gpu: str, **extra):
        return await client.post(f"/api/teams/{alice.team_id}/jobs/estimate", headers=alice.headers,
                                 json=_job(version, executor="modal", gpu_type=gpu, **extra))

    # The image has no unsloth, and a T4 computes no bf16; QLoRA and bf16 on an A100 are fine.
    no_unsloth = await estimate("A100-80GB", provider="unsloth")
    assert no_unsloth.status_code == 400 and "needs the unsloth package" in no_unsloth.json()["detail"]
    t4 = await estimate("T4", hyperparameters={"max_steps": 5, "precision": "bf16"})
    assert t4.status_code == 400 and "Ampere or newer" in t4.json()["detail"]
    ok = await estimate("A100-80GB", adapter="qlora", hyperparameters={"max_steps": 5, "precision": "bf16"})
    assert ok.status_code == 200, ok.text
