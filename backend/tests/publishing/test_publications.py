"""Publishing a model version end to end, in-process: the API stores a publication and queues it; the
worker's Publisher (run here directly, as the worker's task would) merges the LoRA version, converts it
with llama.cpp's converter, verifies the GGUF, uploads to a loopback Ollama that runs the received GGUF
with the received template, and to the loopback Hub with the real huggingface_hub client. The history,
downloads, cancel and delete are what a user sees; refusals name what to do.

The version is a real SmolLM2 LoRA adapter (random, non-zero B), put in place by a stand-in trainer so no
training run is needed here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import textwrap
import uuid

import pytest

from tuneforge.jobs.resolve import output_key
from tuneforge.storage import get_storage

from ..jobs.conftest import CHAT_ROWS
from ..jobs.test_jobs_api import _job, _upload
from .conftest import make_adapter

HF_TOKEN = "hf_validtoken1234567890"

COPY_ADAPTER = textwrap.dedent("""
    import json, shutil, sys
    adapter, spec = sys.argv[1], json.load(open(sys.argv[2]))
    shutil.copytree(adapter, spec["output_dir"], dirs_exist_ok=True)
    print(json.dumps({"type": "finished", "output_dir": spec["output_dir"], "metrics": {"loss": 0.5}}), flush=True)
""")


@pytest.fixture(scope="module")
def smol_lora(smollm2, tmp_path_factory):
    return make_adapter(smollm2, tmp_path_factory.mktemp("version") / "adapter", seed=3)


@pytest.fixture
async def smol_version(app, client, register, settings, smollm2, smol_lora):
    """Alice, a SmolLM2 LoRA model version of hers, and a worker row that publishes."""
    from tuneforge.worker.supervisor import JobRunner
    from tuneforge.worker_registry import service as workers

    previous = settings.model_dirs
    settings.model_dirs = [smollm2.parent]
    alice = await register()
    dataset = await _upload(client, alice, "sums", CHAT_ROWS)
    created = await client.post(f"/api/teams/{alice.team_id}/jobs", headers=alice.headers,
                                json=_job(dataset, base_model=str(smollm2), name="support-bot"))
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    runner = JobRunner(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="test-worker",
                       trainer_command=[sys.executable, "-c", COPY_ADAPTER, str(smol_lora)])
    await runner.run(uuid.UUID(job_id))
    version = (await client.get(f"/api/jobs/{job_id}/model-version", headers=alice.headers)).json()
    assert version, (await client.get(f"/api/jobs/{job_id}", headers=alice.headers)).json()
    async with app.state.sessionmaker() as session:
        worker = await workers.register(session=session, name="publisher", hostname="h", pid=1, executors=["local"],
                                        devices=[], max_concurrent_jobs=1, version="t",
                                        capabilities={"publishing": {"gguf": True}})
        await session.commit()
    app.state.test_worker_id = worker.id
    yield {"alice": alice, "version": version, "job_id": job_id}
    settings.model_dirs = previous


async def _publish(app, client, account, version_id: str, body: dict) -> dict:
    from tuneforge.worker.publisher import Publisher
    from tuneforge.worker_registry import service as workers

    async with app.state.sessionmaker() as session:  # the worker is alive (a conversion outlasts a heartbeat window)
        await workers.heartbeat(session=session, worker_id=app.state.test_worker_id)
        await session.commit()

    created = await client.post(f"/api/model-versions/{version_id}/publications", json=body, headers=account.headers)
    assert created.status_code == 201, created.text
    publication = created.json()
    assert publication["status"] == "queued"
    await Publisher(sessionmaker=app.state.sessionmaker, storage=get_storage(), worker_name="publisher").publish(
        uuid.UUID(publication["id"]))
    return (await client.get(f"/api/publications/{publication['id']}", headers=account.headers)).json()


@pytest.fixture
def ollama_url(settings):
    from tuneforge.testing.fake_ollama import FakeOllama

    fake = FakeOllama()
    fake.start()
    previous = settings.ollama_urls
    settings.ollama_urls = [fake.url]
    yield fake
    settings.ollama_urls = previous
    fake.stop()


async def test_ollama_publication_is_converted_uploaded_created_and_verified(app, client, smol_version, ollama_url):
    alice, version = smol_version["alice"], smol_version["version"]
    published = await _publish(app, client, alice, version["id"], {"target": "ollama", "quant_type": "q8_0"})
    assert published["status"] == "succeeded", (published["error"], json.dumps(published["verification"], indent=1)[:6000])
    assert published["options"]["name"] == f"support-bot:v{version['number']}"
    assert published["link"] == f"support-bot:v{version['number']} on {ollama_url.url}"
    # The adapter was merged into SmolLM2 first, and the merged logits checked against base + adapter.
    assert published["merge_check"]["ok"] and published["merge_check"]["max_abs_logit_diff"] <= 1e-3
    check = published["verification"]
    assert check["ok"] and check["passed"] == check["prompts"] == 8
    # Wherever the GGUF's own answer ended on the end-of-turn token, Ollama's did too (the rest hit the limit in both).
    assert all(a["ended_on_stop"] or a["ollama_done_reason"] == "length" for a in check["answers"])
    assert check["ended_on_stop"] >= 1
    # What Ollama received: the GGUF as a blob, then a model with the trained chat template and its stops.
    gguf, modelfile = published["files"]
    assert gguf["quant_type"] == "q8_0" and gguf["name"].endswith("-q8_0.gguf")
    downloaded = await client.get(gguf["download_url"], headers=alice.headers)
    assert downloaded.status_code == 200 and hashlib.sha256(downloaded.content).hexdigest() == gguf["sha256"]
    assert len(downloaded.content) == gguf["size_bytes"]
    assert modelfile["name"] == "Modelfile"
    text = (await client.get(modelfile["download_url"], headers=alice.headers)).text
    assert f"FROM ./{gguf['name']}" in text and 'PARAMETER stop "<|im_end|>"' in text
    assert published["result"]["parameters"]["stop"] == ["<|im_end|>", "<|im_start|>"]
    history = (await client.get(f"/api/model-versions/{version['id']}/publications", headers=alice.headers)).json()
    assert [p["id"] for p in history] == [published["id"]] and history[0]["user_name"] == "Ada"

    # A name the server already has: refused before anything is converted, with the fix.
    again = await _publish(app, client, alice, version["id"], {"target": "ollama", "name": published["options"]["name"]})
    assert again["status"] == "failed" and "already has a model named" in again["error"] and again["files"] == []

    # The version cannot be deleted while the publication depends on it; deleting the publication frees it.
    refused = await client.delete(f"/api/model-versions/{version['id']}", headers=alice.headers)
    assert refused.status_code == 409 and "publication" in refused.json()["detail"]
    assert (await client.delete(f"/api/publications/{published['id']}", headers=alice.headers)).status_code == 204
    assert (await client.get(gguf["download_url"], headers=alice.headers)).status_code == 404


async def test_a_wrong_template_is_caught_by_the_verification(app, client, smol_version, ollama_url, monkeypatch):
    from tuneforge.publishing import ollama

    real = ollama.create_parts

    def broken(tokenizer, **kwargs):
        parts = real(tokenizer, **kwargs)
        # The turn markers dropped: Ollama then prompts the model with plain text, as a hand-written
        # Modelfile often does.
        return {**parts, "template": "{{ range .Messages }}{{ .Content }}\n{{ end }}"}

    monkeypatch.setattr(ollama, "create_parts", broken)
    alice, version = smol_version["alice"], smol_version["version"]
    published = await _publish(app, client, alice, version["id"], {"target": "ollama", "name": "broken:v1"})
    assert published["status"] == "failed"
    assert "does not answer like the trained model" in published["error"]
    check = published["verification"]
    assert not check["ok"] and check["passed"] < check["prompts"]
    first = check["first_disagreement"]
    assert first["tuneforge"] != first["ollama"]


async def test_gguf_files_are_verified_and_an_unconvertible_model_is_refused_first(app, client, register, smol_version):
    alice, version = smol_version["alice"], smol_version["version"]
    published = await _publish(app, client, alice, version["id"], {"target": "gguf", "quant_types": ["f16"]})
    assert published["status"] == "succeeded", published["error"]
    (f16,) = published["files"]
    assert f16["quant_type"] == "f16" and f16["size_bytes"] > 200_000_000
    path = get_storage().path(f"publications/{published['id']}/{f16['name']}")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == f16["sha256"]
    check = published["verification"]
    assert check["prompts"] == 8 and check["next_token_agreement"] >= 0.95 and check["tokens_match"]
    assert set(check["by_type"]) == {"f16"}
    assert not (path.parent / "merged").exists(), "only the GGUF files are kept"


async def test_hub_publication_uploads_the_adapter_with_a_card_using_the_saved_token(app, client, smol_version, fake_hub,
                                                                                     monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)  # the loopback Hub speaks LFS
    alice, version = smol_version["alice"], smol_version["version"]
    no_token = await client.post(f"/api/model-versions/{version['id']}/publications", json={"target": "hub"},
                                 headers=alice.headers)
    assert no_token.status_code == 400 and "Settings" in no_token.json()["detail"]
    saved = await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=alice.headers)
    assert saved.status_code == 200, saved.text

    published = await _publish(app, client, alice, version["id"], {"target": "hub", "private": True})
    assert published["status"] == "succeeded", published["error"]
    repo_id = f"alice/support-bot-v{version['number']}"
    assert published["options"]["repo_id"] == repo_id and published["credential"] == "yours"
    assert repo_id in published["link"]
    repo = fake_hub.repo(repo_id)
    assert repo["private"] is True
    assert {"adapter_model.safetensors", "adapter_config.json", "README.md"} <= set(repo["files"])
    assert not any(name.startswith("checkpoint") for name in repo["files"])
    card = repo["files"]["README.md"].decode()
    assert "support-bot" in card and "SmolLM2" in card and "library_name: peft" in card
    assert HF_TOKEN not in json.dumps(published)


async def test_a_member_without_a_token_publishes_to_the_hub_with_the_teams_and_it_is_recorded(
    app, client, smol_version, fake_hub, monkeypatch
):
    """Team credentials (docs/api/quotas.md): the member's own token, else the team's; the publication says which."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)  # the loopback Hub speaks LFS
    alice, version = smol_version["alice"], smol_version["version"]
    saved = await client.put(f"/api/teams/{alice.team_id}/credentials/huggingface", json={"token": HF_TOKEN},
                             headers=alice.headers)
    assert saved.status_code == 200, saved.text
    published = await _publish(app, client, alice, version["id"], {"target": "hub", "private": True})
    assert published["status"] == "succeeded", published["error"]
    assert published["credential"] == "team"
    assert fake_hub.repo(f"alice/support-bot-v{version['number']}")["private"] is True
    assert HF_TOKEN not in json.dumps(published)


async def test_refusals_say_what_to_do(app, client, register, smol_version, settings):
    alice, version = smol_version["alice"], smol_version["version"]
    bob = await register()
    other = await client.post(f"/api/model-versions/{version['id']}/publications", json={"target": "gguf"}, headers=bob.headers)
    assert other.status_code == 404
    elsewhere = await client.post(f"/api/model-versions/{version['id']}/publications",
                                  json={"target": "ollama", "url": "http://169.254.169.254/"}, headers=alice.headers)
    assert elsewhere.status_code == 400 and "TUNEFORGE_OLLAMA_URLS" in elsewhere.json()["detail"]

    queued = await client.post(f"/api/model-versions/{version['id']}/publications", json={"target": "gguf"},
                               headers=alice.headers)
    cancelled = await client.post(f"/api/publications/{queued.json()['id']}/cancel", headers=alice.headers)
    assert cancelled.json()["status"] == "cancelled"
    assert (await client.get(f"/api/publications/{queued.json()['id']}", headers=bob.headers)).status_code == 404

    options = (await client.get("/api/publishing/options", headers=alice.headers)).json()
    assert options["worker_note"] is None and "q8_0" in options["gguf_types"] and options["hub_token"] is False

    shutil.rmtree(get_storage().path(output_key(smol_version["job_id"])))
    missing = await client.post(f"/api/model-versions/{version['id']}/publications", json={"target": "gguf"},
                                headers=alice.headers)
    assert missing.status_code == 409 and "missing" in missing.json()["detail"]
