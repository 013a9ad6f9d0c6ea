"""Import the training configs people already have: a LLaMA-Factory training YAML (with its
`dataset_info.json` entries, optional) or an Axolotl YAML, mapped onto a TuneForge job configuration.

`import_config(text, dataset_info)` answers an `ImportResult`: which tool wrote it (`source`), the
configuration in JobCreate's shape *without* `dataset_version_id` (the user picks the dataset in the
wizard), every option it could not map and why (`unmapped`), and what the config's datasets look like
(`dataset_hint`: names, formats, columns) so the user knows what to upload and how to map it.
`export_config(config)` writes a TuneForge configuration back as LLaMA-Factory YAML (the round trip).
The mapping table is in docs/training.md ("Importing LLaMA-Factory and Axolotl configs").

Pure: no web, no database, no other TuneForge package.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from tuneforge.training.exceptions import SpecError

Source = Literal["llamafactory", "axolotl"]


class ConfigImportError(SpecError):
    """The text is not a config that can be imported (malformed YAML, not a mapping, unknown tool)."""


class UnmappedOption(BaseModel):
    key: str
    value: str = Field(description="the value as written (JSON for anything but a string)")
    reason: str


class DatasetHint(BaseModel):
    """One dataset the imported config trains on: upload it to TuneForge and map its columns so."""

    name: str
    location: str | None = Field(default=None, description="the file, folder or Hub id the config reads it from")
    format: str = Field(description="alpaca, sharegpt, chat_template, completion, … as the source tool names it")
    kind: str | None = Field(default=None, description="the TuneForge data kind it becomes: chat, prompt_completion, preference, …")
    columns: dict[str, str] = Field(default_factory=dict, description="role -> the column (or tag) holding it")
    note: str = ""


class ImportResult(BaseModel):
    source: Source
    config: dict[str, Any] = Field(description="JobCreate's shape without dataset_version_id")
    unmapped: list[UnmappedOption]
    dataset_hint: list[DatasetHint]


# -- shared vocabulary -------------------------------------------------------------------------

SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt")
OPTIMIZERS = {
    "adamw_torch": "adamw_torch",
    "adamw_torch_fused": "adamw_torch_fused",
    "adafactor": "adafactor",
    "sgd": "sgd",
    "adamw_8bit": "adamw_8bit",
    "adamw_bnb_8bit": "adamw_8bit",
}
# Their template names -> TuneForge's (training.loading.CHAT_TEMPLATES).
TEMPLATES = {"chatml": "chatml", "llama3": "llama-3", "llama-3": "llama-3", "alpaca": "alpaca", "zephyr": "zephyr"}
TEMPLATES_BACK = {"chatml": "chatml", "llama-3": "llama3", "alpaca": "alpaca", "zephyr": "zephyr"}

UPLOAD_FIRST = "the dataset must be uploaded to TuneForge first: it names {}"
OUTPUT = "TuneForge picks the output folder"
METRICS = "TuneForge records metrics and logs itself"
DEEPSPEED = "DeepSpeed is not supported"
FSDP = "FSDP / multi-GPU sharding is not supported: a job runs on one device"
RESUME = "TuneForge resumes jobs itself (auto-resume)"
HUB = "TuneForge keeps the model in its registry; push it from there"
PREPROCESS = "TuneForge tokenises and caches the data itself"
REMOTE_CODE = "TuneForge never runs a model's remote code"
ATTENTION = "TuneForge picks the attention implementation"
NO_OPTION = "TuneForge has no such option"

_COMMON_REASONS = {
    "output_dir": OUTPUT,
    "overwrite_output_dir": OUTPUT,
    "logging_dir": OUTPUT,
    "report_to": METRICS,
    "plot_loss": METRICS,
    "deepspeed": DEEPSPEED,
    "fsdp": FSDP,
    "fsdp_config": FSDP,
    "ddp_timeout": FSDP,
    "resume_from_checkpoint": RESUME,
    "push_to_hub": HUB,
    "hub_model_id": HUB,
    "trust_remote_code": REMOTE_CODE,
    "flash_attn": ATTENTION,
    "flash_attention": ATTENTION,
    "sdp_attention": ATTENTION,
    "xformers_attention": ATTENTION,
    "overwrite_cache": PREPROCESS,
    "preprocessing_num_workers": PREPROCESS,
    "dataloader_num_workers": PREPROCESS,
    "dataset_prepared_path": PREPROCESS,
    "dataset_processes": PREPROCESS,
    "per_device_eval_batch_size": "TuneForge evaluates with the training batch size",
    "eval_batch_size": "TuneForge evaluates with the training batch size",
}


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _number(value: Any, kind: type) -> Any:
    # PyYAML reads "1e-4" (no dot) as a string: accept it as the number it means.
    if isinstance(value, bool):
        raise ValueError("not a number")
    return kind(float(value)) if kind is int else kind(value)


class _Mapper:
    """Collects the mapped config and the unmapped options while reading one document."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.config: dict[str, Any] = {}
        self.unmapped: list[UnmappedOption] = []
        self.used: set[str] = set()

    def set(self, path: str, value: Any) -> None:
        node = self.config
        *heads, last = path.split(".")
        for head in heads:
            node = node.setdefault(head, {})
        node[last] = value

    def get(self, path: str, default: Any = None) -> Any:
        node: Any = self.config
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def not_mapped(self, key: str, reason: str) -> None:
        self.used.add(key)
        self.unmapped.append(UnmappedOption(key=key, value=_shown(self.raw[key]), reason=reason))

    def take(self, key: str, path: str, kind: type, *, low: float | None = None, high: float | None = None) -> None:
        if key not in self.raw:
            return
        self.used.add(key)
        value = self.raw[key]
        try:
            number = _number(value, kind)
        except (TypeError, ValueError):
            self.not_mapped(key, f"expected a number, got {_shown(value)!r}")
            return
        if (low is not None and number < low) or (high is not None and number > high):
            self.not_mapped(key, f"out of TuneForge's range ({low} to {high})")
            return
        self.set(path, number)

    def flag(self, key: str, path: str, *, true: Any = True, false: Any = False) -> None:
        if key not in self.raw:
            return
        self.used.add(key)
        value = self.raw[key]
        if not isinstance(value, bool):
            self.not_mapped(key, f"expected true or false, got {_shown(value)!r}")
            return
        self.set(path, true if value else false)

    def choice(self, key: str, path: str, names: dict[str, str] | tuple[str, ...], reason: str) -> None:
        if key not in self.raw:
            return
        self.used.add(key)
        value = str(self.raw[key])
        table = names if isinstance(names, dict) else {n: n for n in names}
        if value in table:
            self.set(path, table[value])
        else:
            self.not_mapped(key, reason.format(value=value, names=", ".join(sorted(set(table)))))

    def template(self, key: str) -> None:
        if key not in self.raw:
            return
        value = str(self.raw[key])
        if value in ("tokenizer_default", "default", "auto"):
            self.used.add(key)  # auto is TuneForge's default
            return
        self.choice(key, "data.chat_template", TEMPLATES,
                    "TuneForge has no '{value}' template (it has chatml, llama3, alpaca, zephyr); it uses the tokenizer's own (auto)")

    def rest(self) -> None:
        for key, value in self.raw.items():
            if key not in self.used:
                self.unmapped.append(UnmappedOption(key=key, value=_shown(value), reason=_COMMON_REASONS.get(key, NO_OPTION)))

    def finish(self) -> dict[str, Any]:
        method = self.config.get("method", "sft")
        if self.get("data.packing") and method not in ("sft", "cpt"):
            del self.config["data"]["packing"]
            self.unmapped.append(UnmappedOption(key="packing", value="true", reason=f"TuneForge packs only for sft and cpt, not {method}"))
        return self.config


# -- LLaMA-Factory -------------------------------------------------------------------------------

LF_KEYS = {
    "stage", "finetuning_type", "model_name_or_path", "dataset", "template", "cutoff_len", "per_device_train_batch_size",
    "num_train_epochs", "lr_scheduler_type", "lora_rank", "lora_target", "quantization_bit", "pref_beta", "pref_loss", "do_train",
}
AX_KEYS = {
    "base_model", "adapter", "load_in_4bit", "load_in_8bit", "sequence_len", "sample_packing", "micro_batch_size", "num_epochs",
    "lr_scheduler", "lora_r", "lora_target_modules", "lora_target_linear", "rl", "datasets", "chat_template", "val_set_size",
}
LF_STAGES = {"sft": "sft", "pt": "cpt", "dpo": "dpo", "kto": "kto", "orpo": "orpo", "simpo": "simpo", "rm": "reward"}
LF_PREF_LOSS = {"sigmoid": ("dpo", "sigmoid"), "ipo": ("dpo", "ipo"), "hinge": ("dpo", "hinge"), "orpo": ("orpo", None), "simpo": ("simpo", None)}


def _lf_method(m: _Mapper) -> None:
    stage = str(m.raw.get("stage", "sft"))
    if "stage" in m.raw:
        m.used.add("stage")
    if stage not in LF_STAGES:
        m.not_mapped("stage", f"the '{stage}' stage is not supported (TuneForge trains: {', '.join(LF_STAGES)}); using sft")
        stage = "sft"
    method = LF_STAGES[stage]
    m.set("method", method)
    if "pref_loss" in m.raw:
        m.used.add("pref_loss")
        loss = str(m.raw["pref_loss"])
        if method == "dpo" and loss in LF_PREF_LOSS:
            method, dpo_loss = LF_PREF_LOSS[loss]
            m.set("method", method)
            if dpo_loss and dpo_loss != "sigmoid":
                m.set("method_options.dpo_loss", dpo_loss)
        elif not (method in ("orpo", "simpo") and loss == method) and not (method == "kto" and loss == "sigmoid"):
            m.not_mapped("pref_loss", f"the '{loss}' preference loss is not supported for {method}")


def _lf_adapter(m: _Mapper) -> None:
    kind = str(m.raw.get("finetuning_type", "lora"))
    if "finetuning_type" in m.raw:
        m.used.add("finetuning_type")
    if kind not in ("lora", "full"):
        m.not_mapped("finetuning_type", f"'{kind}' tuning is not supported (TuneForge: lora, qlora, full); using lora")
        kind = "lora"
    m.set("adapter", kind)
    if "quantization_bit" in m.raw:
        bits = m.raw["quantization_bit"]
        if bits in (4, "4") and kind == "lora":
            m.used.add("quantization_bit")
            m.set("adapter", "qlora")
        elif bits is None:
            m.used.add("quantization_bit")
        else:
            m.not_mapped("quantization_bit", "TuneForge quantises only to 4 bits, for QLoRA")
    if "quantization_method" in m.raw:
        if str(m.raw["quantization_method"]) in ("bnb", "bitsandbytes") and m.config["adapter"] == "qlora":
            m.used.add("quantization_method")
        else:
            m.not_mapped("quantization_method", "TuneForge quantises with bitsandbytes (QLoRA) only")
    if "double_quantization" in m.raw:
        m.flag("double_quantization", "qlora.double_quant")
    m.choice("quantization_type", "qlora.quant_type", ("nf4", "fp4"), "TuneForge quantises to {names}, not {value}")


def _lf_lora_target(m: _Mapper) -> None:
    if "lora_target" not in m.raw:
        return
    m.used.add("lora_target")
    value = m.raw["lora_target"]
    modules = value if isinstance(value, list) else [s.strip() for s in str(value).split(",") if s.strip()]
    if modules == ["all"]:
        m.set("lora.target_modules", "all-linear")
    elif modules and all(isinstance(s, str) for s in modules):
        m.set("lora.target_modules", modules)
    else:
        m.not_mapped("lora_target", "expected 'all' or module names")


def _import_llamafactory(raw: dict[str, Any], dataset_info: dict[str, Any] | None) -> tuple[dict[str, Any], list[UnmappedOption], list[DatasetHint]]:
    m = _Mapper(raw)
    _lf_method(m)
    _lf_adapter(m)
    if "model_name_or_path" in raw:
        m.used.add("model_name_or_path")
        m.set("base_model", str(raw["model_name_or_path"]))
    if "run_name" in raw:
        m.used.add("run_name")
        m.set("name", str(raw["run_name"])[:200])
    if raw.get("do_train") is True:
        m.used.add("do_train")  # TuneForge always trains
    m.template("template")
    m.take("cutoff_len", "data.max_length", int, low=8, high=131072)
    m.flag("packing", "data.packing")
    m.flag("train_on_prompt", "data.loss_on", true="all", false="assistant")
    m.take("val_size", "data.validation_split", float, low=0, high=0.89)
    m.take("max_samples", "data.max_rows", int, low=1)
    _hyperparameters(m, batch="per_device_train_batch_size", epochs="num_train_epochs",
                     scheduler="lr_scheduler_type", optimizer="optim")
    if raw.get("max_steps") in (-1, "-1"):  # the HF default: no limit
        m.unmapped = [u for u in m.unmapped if u.key != "max_steps"]
    _precision(m, ("bf16", "fp16"))
    if "disable_gradient_checkpointing" in raw:
        m.flag("disable_gradient_checkpointing", "hyperparameters.gradient_checkpointing", true=False, false=True)
    m.take("seed", "seed", int, low=0, high=2**32 - 1)
    m.take("lora_rank", "lora.rank", int, low=1, high=1024)
    m.take("lora_alpha", "lora.alpha", float, low=1e-9)
    m.take("lora_dropout", "lora.dropout", float, low=0, high=0.99)
    _lf_lora_target(m)
    m.flag("use_rslora", "lora.use_rslora")
    m.flag("use_dora", "lora.use_dora")
    m.take("pref_beta", "method_options.beta", float, low=1e-9)
    m.take("simpo_gamma", "method_options.simpo_gamma", float)
    m.take("kto_chosen_weight", "method_options.desirable_weight", float, low=1e-9)
    m.take("kto_rejected_weight", "method_options.undesirable_weight", float, low=1e-9)
    hints: list[DatasetHint] = []
    for key in ("dataset", "eval_dataset"):
        if key in raw:
            names = [s.strip() for s in str(raw[key]).split(",") if s.strip()] if not isinstance(raw[key], list) else [str(s) for s in raw[key]]
            m.not_mapped(key, UPLOAD_FIRST.format(", ".join(f"'{n}'" for n in names)))
            hints += [_lf_hint(name, (dataset_info or {}).get(name)) for name in names]
    if "dataset_dir" in raw:
        m.not_mapped("dataset_dir", "TuneForge reads datasets uploaded to it, not a folder of the machine")
    m.rest()
    return m.finish(), m.unmapped, hints


def _lf_hint(name: str, entry: Any) -> DatasetHint:
    if not isinstance(entry, dict):
        return DatasetHint(name=name, format="unknown", note="not in the dataset_info.json given: look it up there and upload the file")
    location = entry.get("file_name") or entry.get("hf_hub_url") or entry.get("ms_hub_url") or entry.get("script_url")
    fmt = str(entry.get("formatting", "alpaca"))
    ranking = bool(entry.get("ranking"))
    given = entry.get("columns") or {}
    tags = entry.get("tags") or {}
    if fmt == "sharegpt":
        columns = {"messages": given.get("messages", "conversations")}
        if ranking:
            columns |= {"chosen": given.get("chosen", "chosen"), "rejected": given.get("rejected", "rejected")}
        columns |= {
            "role": tags.get("role_tag", "from"), "content": tags.get("content_tag", "value"),
            "user": tags.get("user_tag", "human"), "assistant": tags.get("assistant_tag", "gpt"),
        }
        if "system" in given or "system_tag" in tags:
            columns["system"] = given.get("system", tags.get("system_tag", "system"))
        kind = "preference" if ranking else "chat"
    else:
        columns = {"prompt": given.get("prompt", "instruction"), "input": given.get("query", "input")}
        if ranking:
            columns |= {"chosen": given.get("chosen", "chosen"), "rejected": given.get("rejected", "rejected")}
        else:
            columns["completion"] = given.get("response", "output")
        for role in ("system", "history"):
            if role in given:
                columns[role] = given[role]
        kind = "preference" if ranking else "prompt_completion"
    if "kto_tag" in given:
        columns["label"] = given["kto_tag"]
        kind = "unpaired_preference"
    if entry.get("formatting", "alpaca") == "alpaca" and set(given) == {"prompt"}:  # stage pt: one text column
        kind, columns = "text", {"text": given["prompt"]}
    note = f"Upload {location or name} on the Datasets page; TuneForge detects the {fmt} format"
    if given or tags:
        note += " (map the columns as listed if it asks)"
    return DatasetHint(name=name, location=location, format=fmt, kind=kind, columns={k: str(v) for k, v in columns.items()}, note=note)


def _hyperparameters(m: _Mapper, *, batch: str, epochs: str, scheduler: str, optimizer: str) -> None:
    """The training-loop settings both tools share (Hugging Face Trainer names), under each tool's own
    names for batch size, epochs, scheduler and optimizer."""
    m.take(batch, "hyperparameters.batch_size", int, low=1, high=4096)
    m.take("gradient_accumulation_steps", "hyperparameters.gradient_accumulation", int, low=1, high=4096)
    m.take("learning_rate", "hyperparameters.learning_rate", float, low=1e-12, high=1)
    m.take(epochs, "hyperparameters.epochs", float, low=1e-6)
    m.take("max_steps", "hyperparameters.max_steps", int, low=1)
    m.choice(scheduler, "hyperparameters.scheduler", SCHEDULERS, "TuneForge's schedulers are {names}, not {value}")
    m.take("warmup_ratio", "hyperparameters.warmup_ratio", float, low=0, high=0.99)
    m.take("warmup_steps", "hyperparameters.warmup_steps", int, low=0)
    m.take("weight_decay", "hyperparameters.weight_decay", float, low=0, high=10)
    m.take("max_grad_norm", "hyperparameters.max_grad_norm", float, low=0)
    m.take("logging_steps", "hyperparameters.logging_steps", int, low=1)
    m.take("save_steps", "hyperparameters.save_steps", int, low=1)
    m.take("eval_steps", "hyperparameters.eval_steps", int, low=1)
    m.take("save_total_limit", "hyperparameters.save_total_limit", int, low=1)
    m.choice(optimizer, "hyperparameters.optimizer", OPTIMIZERS, "TuneForge's optimizers are {names}, not {value}")


def _precision(m: _Mapper, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in m.raw:
            continue
        value = m.raw[key]
        m.used.add(key)
        if value is True:
            m.set("hyperparameters.precision", key)
        elif value == "auto":
            pass  # TuneForge's default
        elif value not in (False, None):
            m.not_mapped(key, "expected true, false or auto")


# -- Axolotl ------------------------------------------------------------------------------------

AX_RL = {"dpo": ("dpo", None), "ipo": ("dpo", "ipo"), "kto": ("kto", None), "orpo": ("orpo", None), "simpo": ("simpo", None)}
AX_FORMATS = {
    "alpaca": ("prompt_completion", {"prompt": "instruction", "input": "input", "completion": "output"}),
    "completion": ("text", {"text": "text"}),
    "sharegpt": ("chat", {"messages": "conversations", "role": "from", "content": "value", "user": "human", "assistant": "gpt"}),
    "chat_template": ("chat", {"messages": "messages", "role": "role", "content": "content"}),
}


def _import_axolotl(raw: dict[str, Any]) -> tuple[dict[str, Any], list[UnmappedOption], list[DatasetHint]]:
    m = _Mapper(raw)
    method, dpo_loss = "sft", None
    if "rl" in raw:
        rl = str(raw["rl"])
        if rl in AX_RL:
            m.used.add("rl")
            method, dpo_loss = AX_RL[rl]
        else:
            m.not_mapped("rl", f"the '{rl}' method is not supported (TuneForge: {', '.join(AX_RL)}); using sft")
    hints: list[DatasetHint] = []
    datasets = raw.get("datasets")
    if isinstance(datasets, list):
        for entry in datasets:
            hints.append(_ax_hint(entry, method))
        if method == "sft" and hints and all(h.format == "completion" for h in hints):
            method = "cpt"
        names = ", ".join(f"'{h.name}'" for h in hints)
        m.not_mapped("datasets", UPLOAD_FIRST.format(names or "none"))
    if "pretraining_dataset" in raw:
        method = "cpt" if method == "sft" else method
        m.not_mapped("pretraining_dataset", UPLOAD_FIRST.format(f"'{_shown(raw['pretraining_dataset'])}'"))
    if "test_datasets" in raw:
        m.not_mapped("test_datasets", "TuneForge holds out a validation split of the uploaded dataset (data.validation_split)")
    m.set("method", method)
    if dpo_loss:
        m.set("method_options.dpo_loss", dpo_loss)

    adapter = "full"
    if "adapter" in raw:
        value = raw["adapter"]
        if value in ("lora", "qlora"):
            m.used.add("adapter")
            adapter = value
        elif value in (None, ""):
            m.used.add("adapter")
        else:
            m.not_mapped("adapter", f"the '{value}' adapter is not supported (TuneForge: lora, qlora)")
    if raw.get("load_in_4bit") is True and adapter in ("lora", "qlora"):
        m.used.add("load_in_4bit")
        adapter = "qlora"
    elif "load_in_4bit" in raw and raw["load_in_4bit"] in (False, None):
        m.used.add("load_in_4bit")
    elif "load_in_4bit" in raw:
        m.not_mapped("load_in_4bit", "TuneForge loads in 4 bits only for QLoRA (adapter: qlora)")
    if raw.get("load_in_8bit") in (False, None) and "load_in_8bit" in raw:
        m.used.add("load_in_8bit")
    elif "load_in_8bit" in raw:
        m.not_mapped("load_in_8bit", "TuneForge does not train on an 8-bit base; use qlora (4 bits) or lora")
    m.set("adapter", adapter)
    if "base_model" in raw:
        m.used.add("base_model")
        m.set("base_model", str(raw["base_model"]))
    for key in ("base_model_config", "model_type", "tokenizer_type", "tokenizer_config", "is_llama_derived_model"):
        if key in raw:
            m.not_mapped(key, "TuneForge reads the model and tokenizer types from the base model")
    if "wandb_name" in raw:
        m.used.add("wandb_name")
        m.set("name", str(raw["wandb_name"])[:200])
    m.template("chat_template")
    m.take("sequence_len", "data.max_length", int, low=8, high=131072)
    m.flag("sample_packing", "data.packing")
    if "pad_to_sequence_len" in raw:
        m.not_mapped("pad_to_sequence_len", "TuneForge pads each batch to its longest row")
    m.flag("train_on_inputs", "data.loss_on", true="all", false="assistant")
    if "val_set_size" in raw:
        try:
            size = float(raw["val_set_size"])
        except (TypeError, ValueError):
            size = -1.0
        if 0 <= size < 0.9:
            m.used.add("val_set_size")
            m.set("data.validation_split", size)
        else:
            m.not_mapped("val_set_size", "TuneForge holds out a fraction below 0.9 (data.validation_split), not a row count")
    _hyperparameters(m, batch="micro_batch_size", epochs="num_epochs", scheduler="lr_scheduler", optimizer="optimizer")
    m.take("early_stopping_patience", "hyperparameters.early_stopping_patience", int, low=1)
    m.flag("gradient_checkpointing", "hyperparameters.gradient_checkpointing")
    _precision(m, ("bf16", "fp16"))
    m.take("seed", "seed", int, low=0, high=2**32 - 1)
    m.take("lora_r", "lora.rank", int, low=1, high=1024)
    m.take("lora_alpha", "lora.alpha", float, low=1e-9)
    m.take("lora_dropout", "lora.dropout", float, low=0, high=0.99)
    if raw.get("lora_target_linear") is True:
        m.used.add("lora_target_linear")
        m.set("lora.target_modules", "all-linear")
        if "lora_target_modules" in raw:
            m.not_mapped("lora_target_modules", "lora_target_linear already targets every linear layer")
    else:
        if "lora_target_linear" in raw:
            m.used.add("lora_target_linear")
        modules = raw.get("lora_target_modules")
        if isinstance(modules, list) and modules and all(isinstance(s, str) for s in modules):
            m.used.add("lora_target_modules")
            m.set("lora.target_modules", modules)
        elif "lora_target_modules" in raw:
            m.not_mapped("lora_target_modules", "expected a list of module names")
    m.flag("peft_use_rslora", "lora.use_rslora")
    m.flag("peft_use_dora", "lora.use_dora")
    for key in ("rl_beta", "dpo_beta", "orpo_alpha"):
        m.take(key, "method_options.beta", float, low=1e-9)
    m.take("simpo_gamma", "method_options.simpo_gamma", float)
    m.take("cpo_alpha", "method_options.cpo_alpha", float)
    m.take("kto_desirable_weight", "method_options.desirable_weight", float, low=1e-9)
    m.take("kto_undesirable_weight", "method_options.undesirable_weight", float, low=1e-9)
    for key in ("wandb_project", "wandb_entity", "wandb_watch", "wandb_log_model", "wandb_run_id", "mlflow_tracking_uri", "use_wandb"):
        if key in raw:
            m.not_mapped(key, METRICS)
    if "special_tokens" in raw or "tokens" in raw:
        for key in ("special_tokens", "tokens"):
            if key in raw:
                m.not_mapped(key, "TuneForge does not add tokens to the tokenizer; the chat template sets the special tokens")
    for key in ("evals_per_epoch", "saves_per_epoch"):
        if key in raw:
            m.not_mapped(key, f"TuneForge counts in steps: set hyperparameters.{'eval' if key.startswith('eval') else 'save'}_steps")
    m.rest()
    return m.finish(), m.unmapped, hints


def _ax_hint(entry: Any, method: str) -> DatasetHint:
    if not isinstance(entry, dict):
        return DatasetHint(name=_shown(entry), format="unknown", note="upload it on the Datasets page")
    name = str(entry.get("path") or entry.get("name") or "dataset")
    location = entry.get("data_files") if isinstance(entry.get("data_files"), str) else entry.get("path")
    fmt = entry.get("type")
    fmt_name = fmt if isinstance(fmt, str) else "custom" if isinstance(fmt, dict) else ("chat_template" if method == "sft" else "preference")
    base = fmt_name.split(".")[0].split(":")[0]
    kind, columns = AX_FORMATS.get(base, (None, {}))
    columns = dict(columns)
    if base == "chat_template":
        columns["messages"] = str(entry.get("field_messages", columns["messages"]))
        mapping = entry.get("message_property_mappings") or {}
        columns["role"] = str(mapping.get("role", entry.get("message_field_role", "role")))
        columns["content"] = str(mapping.get("content", entry.get("message_field_content", "content")))
    if method in ("dpo", "orpo", "simpo"):
        kind = "preference"
        columns = {
            "prompt": str(entry.get("field_prompt", "prompt")),
            "chosen": str(entry.get("field_chosen", "chosen")),
            "rejected": str(entry.get("field_rejected", "rejected")),
        }
        if base == "chat_template":
            columns["messages"] = str(entry.get("field_messages", "conversation"))
    elif method == "kto":
        kind = "unpaired_preference"
        columns = {"prompt": "prompt", "completion": "completion", "label": "label"}
    if isinstance(fmt, dict):
        columns = {k.replace("field_", ""): str(v) for k, v in fmt.items() if k.startswith("field_")} or columns
    note = f"Upload {location} on the Datasets page" + (f"; TuneForge detects the {base} format" if base in AX_FORMATS else "")
    return DatasetHint(name=name, location=str(location) if location else None, format=fmt_name, kind=kind, columns=columns, note=note)


# -- entry points --------------------------------------------------------------------------------


def _load(text: str, what: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConfigImportError(
            f"{where}{problem} (in the {what})",
            "Fix the YAML at that line (check its indentation and quotes) and import again.",
        ) from exc


def detect_source(raw: dict[str, Any]) -> Source | None:
    lf = len(LF_KEYS & raw.keys())
    ax = len(AX_KEYS & raw.keys())
    if lf == ax == 0:
        return None
    return "llamafactory" if lf >= ax else "axolotl"


def import_config(text: str, dataset_info: str | None = None) -> ImportResult:
    """Map a LLaMA-Factory or Axolotl YAML onto a TuneForge job configuration (see the module doc)."""
    raw = _load(text, "config")
    if not isinstance(raw, dict) or not raw:
        raise ConfigImportError("the config is not a YAML mapping of options", "Paste the training YAML itself (key: value lines).")
    info = None
    if dataset_info and dataset_info.strip():
        info = _load(dataset_info, "dataset_info.json")  # JSON is YAML
        if not isinstance(info, dict):
            raise ConfigImportError("dataset_info.json is not an object of datasets", "Give LLaMA-Factory's data/dataset_info.json as it is.")
    source = detect_source(raw)
    if source is None:
        raise ConfigImportError(
            "this is neither a LLaMA-Factory nor an Axolotl config: it has none of their keys",
            "LLaMA-Factory configs have stage, finetuning_type, model_name_or_path …; Axolotl's base_model, adapter, datasets ….",
        )
    if source == "llamafactory":
        config, unmapped, hints = _import_llamafactory(raw, info)
    else:
        config, unmapped, hints = _import_axolotl(raw)
    return ImportResult(source=source, config=config, unmapped=unmapped, dataset_hint=hints)


def export_config(config: dict[str, Any] | BaseModel) -> str:
    """A TuneForge configuration (JobConfig or its dict) as a LLaMA-Factory training YAML.

    Writes only what LLaMA-Factory can express; `dataset` and `output_dir` are left for the user."""
    if isinstance(config, BaseModel):
        config = config.model_dump(mode="json", exclude_unset=False)
    stages = {v: k for k, v in LF_STAGES.items()}
    method = config.get("method", "sft")
    adapter = config.get("adapter", "lora")
    out: dict[str, Any] = {}
    if config.get("base_model"):
        out["model_name_or_path"] = config["base_model"]
    out["stage"] = stages.get(method, method)
    out["do_train"] = True
    out["finetuning_type"] = "full" if adapter == "full" else "lora"
    if adapter == "qlora":
        out["quantization_bit"] = 4
    lora = config.get("lora") or {}
    if adapter != "full":
        for key, name in (("rank", "lora_rank"), ("alpha", "lora_alpha"), ("dropout", "lora_dropout")):
            if key in lora:
                out[name] = lora[key]
        target = lora.get("target_modules")
        if target == "all-linear":
            out["lora_target"] = "all"
        elif isinstance(target, list):
            out["lora_target"] = ",".join(target)
        for key in ("use_rslora", "use_dora"):
            if lora.get(key):
                out[key] = True
    options = config.get("method_options") or {}
    if options.get("beta") is not None:
        out["pref_beta"] = options["beta"]
    if method == "dpo" and options.get("dpo_loss", "sigmoid") != "sigmoid":
        out["pref_loss"] = options["dpo_loss"]
    if "simpo_gamma" in options and method == "simpo":
        out["simpo_gamma"] = options["simpo_gamma"]
    if method == "kto":
        for key, name in (("desirable_weight", "kto_chosen_weight"), ("undesirable_weight", "kto_rejected_weight")):
            if key in options:
                out[name] = options[key]
    data = config.get("data") or {}
    template = data.get("chat_template")
    if template in TEMPLATES_BACK:
        out["template"] = TEMPLATES_BACK[template]
    for key, name in (("max_length", "cutoff_len"), ("packing", "packing"), ("validation_split", "val_size"), ("max_rows", "max_samples")):
        if data.get(key) is not None:
            out[name] = data[key]
    if "loss_on" in data:
        out["train_on_prompt"] = data["loss_on"] == "all"
    hp = config.get("hyperparameters") or {}
    for key, name in (
        ("batch_size", "per_device_train_batch_size"), ("gradient_accumulation", "gradient_accumulation_steps"),
        ("learning_rate", "learning_rate"), ("epochs", "num_train_epochs"), ("max_steps", "max_steps"),
        ("scheduler", "lr_scheduler_type"), ("warmup_ratio", "warmup_ratio"), ("warmup_steps", "warmup_steps"),
        ("weight_decay", "weight_decay"), ("max_grad_norm", "max_grad_norm"), ("logging_steps", "logging_steps"),
        ("save_steps", "save_steps"), ("eval_steps", "eval_steps"), ("save_total_limit", "save_total_limit"),
        ("optimizer", "optim"),
    ):
        if hp.get(key) is not None:
            out[name] = hp[key]
    if hp.get("precision") in ("bf16", "fp16"):
        out[hp["precision"]] = True
    if "gradient_checkpointing" in hp:
        out["disable_gradient_checkpointing"] = not hp["gradient_checkpointing"]
    if config.get("seed") is not None:
        out["seed"] = config["seed"]
    if config.get("name"):
        out["run_name"] = config["name"]
    header = "# Written by TuneForge. Add `dataset:` (its dataset_info.json name) and `output_dir:` before running.\n"
    return header + yaml.safe_dump(out, sort_keys=False)
