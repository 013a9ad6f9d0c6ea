"""Importing LLaMA-Factory and Axolotl training YAMLs (training/config_import.py), on configs written in
those projects' documented shapes (LLaMA-Factory's examples/train_lora/llama3_lora_sft.yaml and
data/dataset_info.json; Axolotl's examples/*/qlora.yml and DPO configs)."""

from __future__ import annotations

import json
import uuid

import pytest

from tuneforge.jobs.schemas import JobConfig
from tuneforge.training.config_import import ConfigImportError, export_config, import_config

LF_SFT = """\
### model
model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct
trust_remote_code: true

### method
stage: sft
do_train: true
finetuning_type: lora
lora_rank: 8
lora_alpha: 16
lora_dropout: 0.05
lora_target: all

### dataset
dataset: identity,alpaca_en_demo,sharegpt_demo
template: llama3
cutoff_len: 2048
max_samples: 1000
overwrite_cache: true
preprocessing_num_workers: 16

### output
output_dir: saves/llama3-8b/lora/sft
logging_steps: 10
save_steps: 500
plot_loss: true
overwrite_output_dir: true
report_to: none

### train
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 1.0e-4
num_train_epochs: 3.0
lr_scheduler_type: cosine
warmup_ratio: 0.1
bf16: true
ddp_timeout: 180000000
deepspeed: examples/deepspeed/ds_z3_config.json
val_size: 0.1
"""

DATASET_INFO = json.dumps({
    "identity": {"file_name": "identity.json"},
    "alpaca_en_demo": {"file_name": "alpaca_en_demo.json"},
    "sharegpt_demo": {
        "file_name": "sharegpt_demo.json",
        "formatting": "sharegpt",
        "columns": {"messages": "conversations"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
    },
    "dpo_en_demo": {
        "file_name": "dpo_en_demo.json",
        "formatting": "sharegpt",
        "ranking": True,
        "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"},
    },
})

LF_DPO = """\
model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct
stage: dpo
do_train: true
finetuning_type: lora
quantization_bit: 4
quantization_method: bnb
lora_rank: 16
lora_target: q_proj,v_proj
pref_beta: 0.1
pref_loss: sigmoid
dataset: dpo_en_demo
template: qwen
cutoff_len: 1024
output_dir: saves/qwen/lora/dpo
per_device_train_batch_size: 2
gradient_accumulation_steps: 4
learning_rate: 5.0e-6
num_train_epochs: 1.0
lr_scheduler_type: cosine
warmup_ratio: 0.1
fp16: true
max_steps: 200
"""

AX_QLORA = """\
base_model: NousResearch/Llama-2-7b-hf
model_type: LlamaForCausalLM
tokenizer_type: LlamaTokenizer

load_in_8bit: false
load_in_4bit: true
strict: false

datasets:
  - path: mhenrichsen/alpaca_2k_test
    type: sharegpt
    conversation: chatml
dataset_prepared_path: last_run_prepared
val_set_size: 0.05
output_dir: ./outputs/qlora-out

adapter: qlora
lora_model_dir:

sequence_len: 4096
sample_packing: true
pad_to_sequence_len: true

lora_r: 32
lora_alpha: 16
lora_dropout: 0.05
lora_target_modules:
lora_target_linear: true

wandb_project:
wandb_log_model:

gradient_accumulation_steps: 4
micro_batch_size: 2
num_epochs: 4
optimizer: paged_adamw_32bit
lr_scheduler: cosine
learning_rate: 0.0002

train_on_inputs: false
bf16: auto
tf32: false

gradient_checkpointing: true
logging_steps: 1
flash_attention: true
warmup_steps: 10
evals_per_epoch: 4
saves_per_epoch: 1
weight_decay: 0.0
chat_template: chatml
special_tokens:
"""

AX_DPO = """\
base_model: meta-llama/Meta-Llama-3-8B-Instruct
rl: dpo
rl_beta: 0.2
chat_template: llama3
datasets:
  - path: fozziethebeat/alpaca_messages_2k_dpo_test
    type: chat_template.default
    field_messages: conversation
    field_chosen: chosen
    field_rejected: rejected
adapter: lora
lora_r: 16
lora_alpha: 32
lora_dropout: 0.0
lora_target_modules: [q_proj, k_proj, v_proj, o_proj]
sequence_len: 2048
sample_packing: false
micro_batch_size: 1
gradient_accumulation_steps: 8
num_epochs: 1
max_steps: 50
learning_rate: 5e-7
lr_scheduler: linear
warmup_ratio: 0.05
fp16: true
deepspeed: deepspeed_configs/zero2.json
"""


def _reasons(result) -> dict[str, str]:
    return {u.key: u.reason for u in result.unmapped}


def _valid(config: dict) -> JobConfig:
    return JobConfig.model_validate({**config, "dataset_version_id": str(uuid.uuid4())})


def test_a_llamafactory_lora_sft_config_with_its_dataset_info():
    result = import_config(LF_SFT, DATASET_INFO)
    assert result.source == "llamafactory"
    assert result.config == {
        "method": "sft",
        "adapter": "lora",
        "base_model": "meta-llama/Meta-Llama-3-8B-Instruct",
        "data": {"chat_template": "llama-3", "max_length": 2048, "validation_split": 0.1, "max_rows": 1000},
        "hyperparameters": {
            "batch_size": 1, "gradient_accumulation": 8, "learning_rate": 1e-4, "epochs": 3.0, "scheduler": "cosine",
            "warmup_ratio": 0.1, "logging_steps": 10, "save_steps": 500, "precision": "bf16",
        },
        "lora": {"rank": 8, "alpha": 16.0, "dropout": 0.05, "target_modules": "all-linear"},
    }
    reasons = _reasons(result)
    assert reasons["output_dir"] == "TuneForge picks the output folder"
    assert reasons["deepspeed"] == "DeepSpeed is not supported"
    assert reasons["trust_remote_code"] == "TuneForge never runs a model's remote code"
    assert reasons["dataset"] == (
        "the dataset must be uploaded to TuneForge first: it names 'identity', 'alpaca_en_demo', 'sharegpt_demo'"
    )
    assert {"overwrite_cache", "preprocessing_num_workers", "plot_loss", "overwrite_output_dir", "report_to", "ddp_timeout"} <= set(reasons)
    assert all(u.reason for u in result.unmapped)
    mapped = {"model_name_or_path", "stage", "do_train", "finetuning_type", "lora_rank", "lora_alpha", "lora_dropout",
              "lora_target", "template", "cutoff_len", "max_samples", "logging_steps", "save_steps", "learning_rate",
              "per_device_train_batch_size", "gradient_accumulation_steps", "num_train_epochs", "lr_scheduler_type",
              "warmup_ratio", "bf16", "val_size"}
    assert not mapped & set(reasons)

    alpaca, alpaca_demo, sharegpt = result.dataset_hint
    assert (alpaca.name, alpaca.location, alpaca.format, alpaca.kind) == ("identity", "identity.json", "alpaca", "prompt_completion")
    assert alpaca.columns == {"prompt": "instruction", "input": "input", "completion": "output"}
    assert alpaca_demo.location == "alpaca_en_demo.json"
    assert (sharegpt.format, sharegpt.kind) == ("sharegpt", "chat")
    assert sharegpt.columns == {"messages": "conversations", "role": "from", "content": "value", "user": "human", "assistant": "gpt"}
    assert "sharegpt_demo.json" in sharegpt.note

    job = _valid(result.config)
    assert job.hyperparameters.learning_rate == 1e-4 and job.lora.target_modules == "all-linear"


def test_without_dataset_info_the_hint_says_to_look_the_dataset_up():
    hint = import_config(LF_SFT, None).dataset_hint[0]
    assert hint.format == "unknown" and "dataset_info.json" in hint.note


def test_a_llamafactory_qlora_dpo_config():
    result = import_config(LF_DPO, DATASET_INFO)
    assert result.config == {
        "method": "dpo",
        "adapter": "qlora",
        "base_model": "Qwen/Qwen2.5-0.5B-Instruct",
        "data": {"max_length": 1024},
        "hyperparameters": {
            "batch_size": 2, "gradient_accumulation": 4, "learning_rate": 5e-6, "epochs": 1.0, "max_steps": 200,
            "scheduler": "cosine", "warmup_ratio": 0.1, "precision": "fp16",
        },
        "lora": {"rank": 16, "target_modules": ["q_proj", "v_proj"]},
        "method_options": {"beta": 0.1},
    }
    reasons = _reasons(result)
    assert "TuneForge has no 'qwen' template" in reasons["template"]
    assert set(reasons) == {"template", "dataset", "output_dir"}
    (hint,) = result.dataset_hint
    assert (hint.kind, hint.columns["chosen"], hint.columns["rejected"]) == ("preference", "chosen", "rejected")
    _valid(result.config)


@pytest.mark.parametrize(("stage", "loss", "method", "extra"), [
    ("dpo", "orpo", "orpo", {}), ("dpo", "simpo", "simpo", {}), ("dpo", "ipo", "dpo", {"dpo_loss": "ipo"}),
    ("orpo", None, "orpo", {}), ("kto", None, "kto", {}), ("rm", None, "reward", {}), ("pt", None, "cpt", {}),
])
def test_llamafactory_stages_and_preference_losses(stage, loss, method, extra):
    text = f"model_name_or_path: x/y\nstage: {stage}\nfinetuning_type: full\n" + (f"pref_loss: {loss}\n" if loss else "")
    config = import_config(text).config
    assert config["method"] == method and config["adapter"] == "full"
    assert config.get("method_options", {}) == extra


def test_unsupported_llamafactory_choices_are_listed():
    result = import_config("stage: ppo\nfinetuning_type: freeze\nquantization_bit: 8\nmodel_name_or_path: x\n"
                           "stage_typo: 1\nlr_scheduler_type: warmup_stable_decay\npacking: true\n")
    reasons = _reasons(result)
    assert "ppo" in reasons["stage"] and "freeze" in reasons["finetuning_type"]
    assert reasons["quantization_bit"] == "TuneForge quantises only to 4 bits, for QLoRA"
    assert reasons["stage_typo"] == "TuneForge has no such option"
    assert "warmup_stable_decay" in reasons["lr_scheduler_type"]
    assert result.config["data"] == {"packing": True}  # sft: packing kept


def test_an_axolotl_qlora_config_with_a_sharegpt_dataset():
    result = import_config(AX_QLORA)
    assert result.source == "axolotl"
    assert result.config == {
        "method": "sft",
        "adapter": "qlora",
        "base_model": "NousResearch/Llama-2-7b-hf",
        "data": {"chat_template": "chatml", "max_length": 4096, "packing": True, "loss_on": "assistant", "validation_split": 0.05},
        "hyperparameters": {
            "batch_size": 2, "gradient_accumulation": 4, "learning_rate": 0.0002, "epochs": 4.0, "scheduler": "cosine",
            "warmup_steps": 10, "weight_decay": 0.0, "logging_steps": 1, "gradient_checkpointing": True,
        },
        "lora": {"rank": 32, "alpha": 16.0, "dropout": 0.05, "target_modules": "all-linear"},
    }
    reasons = _reasons(result)
    assert reasons["datasets"] == "the dataset must be uploaded to TuneForge first: it names 'mhenrichsen/alpaca_2k_test'"
    assert "paged_adamw_32bit" in reasons["optimizer"]
    assert reasons["output_dir"] == "TuneForge picks the output folder"
    assert {"model_type", "tokenizer_type", "dataset_prepared_path", "pad_to_sequence_len", "tf32", "flash_attention",
            "evals_per_epoch", "saves_per_epoch", "strict", "lora_model_dir", "wandb_project", "special_tokens"} <= set(reasons)
    assert not {"load_in_4bit", "load_in_8bit", "adapter", "lora_r", "bf16", "sample_packing", "lora_target_linear"} & set(reasons)
    (hint,) = result.dataset_hint
    assert (hint.name, hint.format, hint.kind) == ("mhenrichsen/alpaca_2k_test", "sharegpt", "chat")
    assert hint.columns == {"messages": "conversations", "role": "from", "content": "value", "user": "human", "assistant": "gpt"}
    _valid(result.config)


def test_an_axolotl_dpo_config():
    result = import_config(AX_DPO)
    assert result.config == {
        "method": "dpo",
        "adapter": "lora",
        "base_model": "meta-llama/Meta-Llama-3-8B-Instruct",
        "data": {"chat_template": "llama-3", "max_length": 2048, "packing": False},
        "hyperparameters": {
            "batch_size": 1, "gradient_accumulation": 8, "learning_rate": 5e-7, "epochs": 1.0, "max_steps": 50,
            "scheduler": "linear", "warmup_ratio": 0.05, "precision": "fp16",
        },
        "lora": {"rank": 16, "alpha": 32.0, "dropout": 0.0, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]},
        "method_options": {"beta": 0.2},
    }
    assert set(_reasons(result)) == {"datasets", "deepspeed"}
    (hint,) = result.dataset_hint
    assert hint.kind == "preference" and hint.columns == {
        "prompt": "prompt", "chosen": "chosen", "rejected": "rejected", "messages": "conversation"}
    _valid(result.config)


def test_packing_is_dropped_for_preference_methods():
    result = import_config("base_model: x\nrl: orpo\nsample_packing: true\n")
    assert "packing" not in result.config.get("data", {})
    assert "only for sft and cpt" in _reasons(result)["packing"]


@pytest.mark.parametrize("text", [LF_SFT, LF_DPO, AX_QLORA, AX_DPO])
def test_round_trip_through_llamafactory_yaml(text):
    config = import_config(text, DATASET_INFO).config
    exported = export_config(config)
    again = import_config(exported)
    assert again.source == "llamafactory"
    assert again.config == config
    assert set(_reasons(again)) == set()


def test_export_of_a_full_job_config_imports_back():
    job = _valid(import_config(LF_DPO, DATASET_INFO).config)
    again = import_config(export_config(job)).config
    assert _valid(again).model_dump(include={"method", "adapter", "base_model", "lora", "hyperparameters"}) == job.model_dump(
        include={"method", "adapter", "base_model", "lora", "hyperparameters"})


def test_malformed_yaml_names_the_line():
    with pytest.raises(ConfigImportError) as raised:
        import_config("stage: sft\nlora_rank: [8\nfoo: 1\n")
    assert raised.value.message.startswith("line ")
    assert "YAML" in raised.value.hint
    with pytest.raises(ConfigImportError, match="neither"):
        import_config("hello: world\n")
    with pytest.raises(ConfigImportError, match="mapping"):
        import_config("- a\n- b\n")
