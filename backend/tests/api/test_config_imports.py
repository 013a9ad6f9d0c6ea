"""POST /api/config-imports: a LLaMA-Factory or Axolotl YAML mapped onto a job configuration for the wizard."""

from __future__ import annotations

import json

LF_SFT = """\
model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct
stage: sft
do_train: true
finetuning_type: lora
lora_rank: 8
lora_target: all
dataset: alpaca_en_demo
template: llama3
cutoff_len: 2048
output_dir: saves/llama3-8b/lora/sft
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 1.0e-4
num_train_epochs: 3.0
bf16: true
"""


async def test_a_llamafactory_config_becomes_a_typed_job_configuration(client, register):
    account = await register()
    info = json.dumps({"alpaca_en_demo": {"file_name": "alpaca_en_demo.json"}})
    response = await client.post("/api/config-imports", json={"text": LF_SFT, "dataset_info": info}, headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "llamafactory"
    config = body["config"]
    assert config["dataset_version_id"] is None
    assert (config["method"], config["adapter"], config["base_model"]) == ("sft", "lora", "meta-llama/Meta-Llama-3-8B-Instruct")
    assert config["data"]["chat_template"] == "llama-3" and config["data"]["max_length"] == 2048
    assert config["hyperparameters"]["learning_rate"] == 1e-4 and config["hyperparameters"]["precision"] == "bf16"
    assert config["lora"]["rank"] == 8 and config["lora"]["target_modules"] == "all-linear"
    assert body["mapped"]["hyperparameters"]["gradient_accumulation"] == 8 and "dataset_version_id" not in body["mapped"]
    reasons = {u["key"]: u["reason"] for u in body["unmapped"]}
    assert reasons == {
        "output_dir": "TuneForge picks the output folder",
        "dataset": "the dataset must be uploaded to TuneForge first: it names 'alpaca_en_demo'",
    }
    assert body["dataset_hint"][0]["location"] == "alpaca_en_demo.json"
    assert body["dataset_hint"][0]["columns"]["completion"] == "output"


async def test_malformed_yaml_is_a_400_naming_the_line(client, register):
    account = await register()
    response = await client.post("/api/config-imports", json={"text": "stage: sft\nlora_rank: [8\nfoo: 1\n"}, headers=account.headers)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("line ") and "Fix the YAML" in detail
    other = await client.post("/api/config-imports", json={"text": "hello: world"}, headers=account.headers)
    assert other.status_code == 400 and "neither a LLaMA-Factory nor an Axolotl config" in other.json()["detail"]


async def test_signed_in_users_only_and_size_limited(client, register):
    assert (await client.post("/api/config-imports", json={"text": LF_SFT})).status_code == 401
    account = await register()
    big = await client.post("/api/config-imports", json={"text": "a: 1\n" * 50_000}, headers=account.headers)
    assert big.status_code == 422
