"""One training run, top to bottom: check the spec, load data and model, train (retrying on
out-of-memory when allowed), save outputs, evaluate, report.

`run(spec, sink=..., stop=...)` never raises for a failed run: it emits `failed` (kind, message,
hint) and returns a RunResult whose status is "finished", "cancelled" or "failed".
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneforge.training import distributed
from tuneforge.training.exceptions import (
    DISK_FULL_HINT,
    OOM_HINT,
    DatasetError,
    DiskFull,
    OutOfMemory,
    SpecError,
    TrainingError,
    is_disk_full,
    is_out_of_memory,
)
from tuneforge.training.event_stream import EventSink
from tuneforge.training.spec import TrainingSpec, check_spec

CHECKPOINT_DIR = "checkpoints"


@dataclass
class RunResult:
    status: str  # finished | cancelled | failed
    output_dir: Path
    step: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    checkpoint: str | None = None


# -- device and precision --------------------------------------------------------------------


def pick_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def resolve_precision(requested: str, device: str) -> str:
    """auto: bf16 on CUDA that supports it, fp16 on older CUDA, fp32 elsewhere (CPU, MPS)."""
    if requested != "auto":
        return requested
    if device == "cuda":
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


def _torch_dtype(precision: str):
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


# -- model ---------------------------------------------------------------------------------------


def lora_target_modules(model, requested) -> list[str] | str:
    """'auto': every linear projection inside the transformer blocks (not the LM head / score)."""
    if requested == "all-linear" or isinstance(requested, list):
        return requested
    import torch

    names = set()
    for full_name, module in model.named_modules():
        is_linear = isinstance(module, torch.nn.Linear) or type(module).__name__ in ("Linear4bit", "Linear8bitLt")
        if is_linear and not any(part in full_name for part in ("lm_head", "score", "embed", "classifier")):
            names.add(full_name.rsplit(".", 1)[-1])
    return sorted(names)


def load_model(spec: TrainingSpec, base_path: Path, tokenizer, added_tokens: int, precision: str, device: str):
    """The model for this method, with the adapter applied for lora/qlora."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    # Frozen base weights can live in half precision; fully trained weights stay fp32 and the
    # trainer's autocast does the mixed precision.
    dtype = _torch_dtype(precision) if spec.uses_adapter else torch.float32
    kwargs: dict[str, Any] = {"dtype": dtype}
    if spec.adapter == "qlora":
        from transformers import BitsAndBytesConfig

        compute = resolve_precision(spec.qlora.compute_dtype, device)
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=spec.qlora.quant_type,
            bnb_4bit_use_double_quant=spec.qlora.double_quant,
            bnb_4bit_compute_dtype=_torch_dtype(compute),
        )
        kwargs["device_map"] = {"": distributed.local_rank() if device == "cuda" else "cpu"}
    if spec.method == "reward":
        model = AutoModelForSequenceClassification.from_pretrained(base_path, num_labels=1, **kwargs)
    else:
        model = AutoModelForCausalLM.from_pretrained(base_path, **kwargs)
    if added_tokens:
        model.resize_token_embeddings(len(tokenizer))
    model.config.pad_token_id = tokenizer.pad_token_id
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
        model.generation_config.eos_token_id = tokenizer.eos_token_id

    if spec.adapter == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=spec.hyperparameters.gradient_checkpointing
        )
    if spec.uses_adapter:
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(
            r=spec.lora.rank,
            lora_alpha=spec.lora.alpha,
            lora_dropout=spec.lora.dropout,
            target_modules=lora_target_modules(model, spec.lora.target_modules),
            use_rslora=spec.lora.use_rslora,
            use_dora=spec.lora.use_dora,
            task_type="SEQ_CLS" if spec.method == "reward" else "CAUSAL_LM",
        )
        model = get_peft_model(model, config)
    return model


def count_parameters(model) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


# -- trainer arguments ---------------------------------------------------------------------------


def trainer_arguments(spec: TrainingSpec, checkpoint_dir: Path, precision: str, device: str, has_eval: bool,
                      *, strategy: str = "single", wrap: list[str] | None = None) -> dict:
    hp = spec.hyperparameters
    args: dict[str, Any] = {
        "output_dir": str(checkpoint_dir),
        "per_device_train_batch_size": hp.batch_size,
        "per_device_eval_batch_size": hp.batch_size,
        "gradient_accumulation_steps": hp.gradient_accumulation,
        "learning_rate": spec.learning_rate,
        "lr_scheduler_type": hp.scheduler,
        # transformers 5 folds warmup_ratio into warmup_steps (a float < 1 is a ratio).
        "warmup_steps": hp.warmup_ratio if hp.warmup_ratio > 0 else hp.warmup_steps,
        "num_train_epochs": hp.epochs,
        "max_steps": hp.max_steps or -1,
        "weight_decay": hp.weight_decay,
        "max_grad_norm": hp.max_grad_norm,
        "optim": hp.optimizer,
        "logging_steps": hp.logging_steps,
        "logging_first_step": True,
        "save_strategy": "steps" if hp.save_steps else "no",
        "save_steps": hp.save_steps or 500,
        "save_total_limit": hp.save_total_limit,
        "eval_strategy": "steps" if (hp.eval_steps and has_eval) else "no",
        "eval_steps": hp.eval_steps,
        "activation_checkpointing": hp.gradient_checkpointing,
        # trl configs default to bf16=True, which fails on CPU (docs/library-notes.md): always say it.
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "use_cpu": device == "cpu",
        "seed": spec.seed,
        "data_seed": spec.seed,
        "report_to": "none",
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "save_only_model": False,
    }
    if strategy == "ddp":
        # Every trained parameter gets a gradient each step (LoRA, full): no search for unused ones,
        # which would also clash with gradient checkpointing.
        args["ddp_find_unused_parameters"] = False
    elif strategy == "fsdp":
        args["fsdp"] = "full_shard auto_wrap"
        args["fsdp_config"] = {"transformer_layer_cls_to_wrap": wrap or [], "activation_checkpointing": hp.gradient_checkpointing}
        args["activation_checkpointing"] = False  # FSDP checkpoints the wrapped layers itself
    if hp.early_stopping_patience:
        args.update(
            load_best_model_at_end=True,
            metric_for_best_model="eval_loss",
            greater_is_better=False,
            save_strategy="steps",
            save_steps=hp.eval_steps,
        )
    return args


# The Trainer writes a checkpoint-N folder in place and this file last: without it (a full disk, a
# killed process mid-save) the folder is incomplete and must not be resumed from.
CHECKPOINT_COMPLETE_MARKER = "trainer_state.json"


def checkpoint_complete(path: Path) -> bool:
    try:
        json.loads((path / CHECKPOINT_COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def _checkpoints(checkpoint_dir: Path) -> list[Path]:
    return [p for p in checkpoint_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit() and p.is_dir()]


def latest_checkpoint(checkpoint_dir: Path) -> Path | None:
    """The newest complete checkpoint; incomplete ones are skipped."""
    candidates = [p for p in _checkpoints(checkpoint_dir) if checkpoint_complete(p)]
    return max(candidates, key=lambda p: int(p.name.split("-")[-1])) if candidates else None


def remove_incomplete_checkpoints(checkpoint_dir: Path) -> list[str]:
    """Deletes checkpoint folders a failed save left half-written; returns their names."""
    import shutil

    removed = []
    for path in _checkpoints(checkpoint_dir):
        if not checkpoint_complete(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


# -- outputs -------------------------------------------------------------------------------------


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")


def save_outputs(spec: TrainingSpec, trainer, tokenizer, output_dir: Path, sink: EventSink) -> dict[str, str]:
    """Weights (adapter or full, safetensors), tokenizer + chat template; optional merge."""
    model = trainer.model
    if spec.method == "reward" and spec.uses_adapter:
        # A reward model is used whole (GRPO scorer): the score head is trained in full anyway,
        # so save the merged weights rather than an adapter over a head-less base.
        model = merge_adapter_model(model)
    model.save_pretrained(output_dir, safe_serialization=True)
    tokenizer.save_pretrained(output_dir)
    files = {"weights": str(output_dir)}
    if spec.merge_adapter and spec.uses_adapter and spec.method != "reward":
        merged_dir = output_dir / "merged"
        merged = merge_adapter_model(model)
        merged.save_pretrained(merged_dir, safe_serialization=True)
        tokenizer.save_pretrained(merged_dir)
        files["merged"] = str(merged_dir)
        sink.log(f"merged adapter saved to {merged_dir}")
    return files


def merge_adapter_model(model):
    """A merged copy of a PEFT model (the trained adapter stays intact for evaluation)."""
    import copy

    try:
        from tuneforge.training import export

        if hasattr(export, "merge_peft_model"):
            return export.merge_peft_model(model)
    except ImportError:
        pass
    return copy.deepcopy(model).merge_and_unload()


def write_model_card(spec: TrainingSpec, output_dir: Path, metrics: dict, evaluation: dict | None) -> None:
    try:
        from tuneforge.training import export

        if hasattr(export, "write_model_card"):
            export.write_model_card(output_dir=output_dir, spec=spec, metrics=metrics, evaluation=evaluation)
            return
    except ImportError:
        pass
    lines = [
        f"# {spec.name or output_dir.name}",
        "",
        f"Fine-tuned with TuneForge from `{spec.base_model}`: method **{spec.method}**, adapter **{spec.adapter}**.",
        "",
        "## Training",
        f"- steps: {metrics.get('steps')}, final loss: {metrics.get('final_loss')}",
        f"- learning rate: {spec.learning_rate}, batch: {spec.hyperparameters.batch_size} x "
        f"{spec.hyperparameters.gradient_accumulation}",
        f"- data: {', '.join(Path(s.path).name + f' (weight {s.weight})' for s in spec.data.sources)}",
    ]
    if evaluation:
        lines += ["", "## Evaluation", "```json", json.dumps(evaluation.get("summary", evaluation), indent=2,
                                                             default=str)[:4000], "```"]
    (output_dir / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- the run -------------------------------------------------------------------------------------


def _device_info(device: str) -> dict:
    try:
        from tuneforge.training.hardware import detect_devices

        devices = detect_devices()
        for d in devices:
            if d.get("type", d.get("kind")) == device:
                return d
        return {"type": device, "devices": devices}
    except ImportError:
        return {"type": device, "platform": platform.platform()}


def _estimate(spec: TrainingSpec, device_info: dict, sink: EventSink) -> dict | None:
    try:
        from tuneforge.training.estimate import estimate
    except ImportError:
        return None
    try:
        return estimate(spec, device_info)
    except Exception as exc:  # an estimate must never stop a run
        sink.log(f"estimate unavailable: {exc}", level="warning")
        return None


def _evaluate(spec, model, tokenizer, base_path, eval_rows, sink, step: int, method_metrics: dict | None = None) -> dict | None:
    if not spec.eval.enabled or not eval_rows:
        return None
    try:
        from tuneforge.training.evaluation import evaluate_run
    except ImportError:
        sink.log("evaluation module missing; skipping generation metrics", level="warning")
        return None
    return evaluate_run(
        model=model,
        tokenizer=tokenizer,
        base_model_path=base_path,
        eval_rows=eval_rows,
        spec=spec,
        emit=sink.emit,
        step=step,
        phase=sink.phase,
        method_metrics=method_metrics,
    )


def _quiet_libraries() -> None:
    """Progress bars of datasets/transformers go to stderr and drown the events; turn them off."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_warning()


def _free_memory() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass


def run(spec: TrainingSpec, *, sink: EventSink | None = None, stop: threading.Event | None = None) -> RunResult:
    sink = sink or EventSink()
    stop = stop or threading.Event()
    output_dir = Path(spec.output_dir)
    progress = {"step": 0}  # the step a failure happened at, for the `failed` event
    try:
        return _run(spec, sink, stop, output_dir, progress)
    except TrainingError as exc:
        error = exc.to_event()
        if distributed.world_size() > 1:
            error["rank"] = distributed.rank()
        sink.emit("failed", step=progress["step"], **error)
        return RunResult("failed", output_dir, error=error)
    except Exception as exc:  # noqa: BLE001 - a run reports every failure as an event
        if is_out_of_memory(exc):
            error = OutOfMemory(f"out of memory: {exc}", OOM_HINT).to_event()
        elif is_disk_full(exc, output_dir):
            # A checkpoint cut short is useless and takes the space a resumed run needs.
            removed = remove_incomplete_checkpoints(output_dir / CHECKPOINT_DIR)
            error = DiskFull(
                f"the storage volume is full: writing to {output_dir} failed ({exc})"
                + (f"; the incomplete {', '.join(removed)} was removed" if removed else ""),
                DISK_FULL_HINT,
            ).to_event()
        elif distributed.is_lost_peer(exc):
            # Another rank died (killed, out of memory): this one only saw the collective break. The
            # worker replaces this with the failure of the rank that caused it (distributed.RankFailures).
            error = {
                "kind": "runtime",
                "lost_peer": True,
                "message": f"another training process of this job stopped, so process {distributed.rank()} of "
                f"{distributed.world_size()} could not go on ({str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__})",
                "hint": "Resume the job: it continues from its last checkpoint on every device.",
            }
        else:
            error = {
                "kind": "runtime",
                "message": f"{type(exc).__name__}: {exc}",
                "hint": "See the traceback in the log; if it persists, report it with the spec.",
                "traceback": traceback.format_exc()[-4000:],
            }
            sink.log(error["traceback"], level="error")
        if distributed.world_size() > 1:
            error["rank"] = distributed.rank()
        sink.emit("failed", step=progress["step"], **error)
        return RunResult("failed", output_dir, step=progress["step"], error=error)


def _run(spec: TrainingSpec, sink: EventSink, stop: threading.Event, output_dir: Path, progress: dict) -> RunResult:
    started_at = time.time()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    facts = check_spec(spec)  # raises SpecError / DatasetError before anything is loaded

    from tuneforge.training.data import load_splits
    from tuneforge.training.loading import default_cache_dir, load_tokenizer, resolve_base_model

    train_rows, eval_rows = load_splits(spec)
    if not train_rows:
        raise DatasetError("no training rows left after the validation split", "Add rows or lower validation_split.")

    if facts["provider"] == "unsloth":
        import unsloth  # noqa: F401 - must patch transformers/trl before they are imported

    import torch  # noqa: F401 - heavy imports only once the spec is known to be valid
    from transformers import EarlyStoppingCallback, PrinterCallback, set_seed

    _quiet_libraries()

    device = pick_device()
    precision = resolve_precision(spec.hyperparameters.precision, device)
    device_info = _device_info(device)
    estimate = _estimate(spec, device_info, sink)
    spec = _checkpoint_when_memory_is_the_limit(spec, estimate, sink)
    if estimate and estimate.get("fits") is False:
        sink.log(f"estimate says this may not fit: {estimate}", level="warning")
    strategy = _parallel_strategy(spec, device, device_info, estimate, sink)
    main = distributed.is_main()

    output_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_dir = output_dir / CHECKPOINT_DIR
    cache_dir = Path(spec.model_cache_dir) if spec.model_cache_dir else default_cache_dir()
    sink.log(f"{len(train_rows)} training rows, {len(eval_rows)} held out; loading base model {spec.base_model}")
    sink.phase("loading_model", f"Loading the base model {spec.base_model}")
    base_path = resolve_base_model(spec.base_model, cache_dir)
    tools = facts.get("data_kind") == "tool_chat"
    tokenizer, template_name, added_tokens = load_tokenizer(base_path, spec.data.chat_template, tools=tools)
    if tools and spec.data.chat_template == "auto" and template_name == "chatml-tools":
        facts["chat_template_note"] = "the base model's chat template does not render tools; using chatml-tools"
        sink.log(facts["chat_template_note"])
    if main:
        _write_json(output_dir / "spec.json", spec.model_dump(mode="json"))

    resume = spec.resume_from_checkpoint
    if resume == "latest":
        found = latest_checkpoint(checkpoint_dir)
        resume = str(found) if found else None
        if not found:
            sink.log("no checkpoint to resume from; starting fresh")
    elif resume and not Path(resume).exists():
        raise SpecError(f"checkpoint not found: {resume}", "Use 'latest' or an existing checkpoint-N folder.")

    provider = facts["provider"]
    attempt_spec = spec
    while True:
        if stop.is_set():
            sink.emit("cancelled", step=0, checkpoint=None)
            return RunResult("cancelled", output_dir)
        set_seed(spec.seed)
        if attempt_spec is not spec:  # an out-of-memory retry loads the model again
            sink.phase("loading_model", f"Loading the base model {spec.base_model} again")
        if provider == "unsloth":
            from tuneforge.training.methods import unsloth_loader

            model = unsloth_loader.load_model(attempt_spec, base_path, tokenizer, precision)
        else:
            model = load_model(attempt_spec, base_path, tokenizer, added_tokens, precision, device)
        trainable, total = count_parameters(model)
        callback = _make_callback(attempt_spec, sink, stop)
        callbacks: list[Any] = [callback]
        if spec.hyperparameters.early_stopping_patience:
            callbacks.append(EarlyStoppingCallback(spec.hyperparameters.early_stopping_patience))
        from tuneforge.training.context import RunContext
        from tuneforge.training.methods import method_module

        ctx = RunContext(
            spec=attempt_spec,
            data_kind=facts["data_kind"],
            tokenizer=tokenizer,
            model=model,
            train_rows=train_rows,
            eval_rows=eval_rows,
            args=trainer_arguments(attempt_spec, checkpoint_dir, precision, device, bool(eval_rows), strategy=strategy,
                                   wrap=list(getattr(model, "_no_split_modules", None) or [])),
            callbacks=callbacks,
            base_model_path=base_path,
            device=device,
            precision=precision,
            extras={"device_info": device_info, "world_size": distributed.world_size()},
        )
        rows = len(train_rows) + len(eval_rows)
        tokenizing = f"Tokenising {rows} rows"
        sink.phase("tokenizing", tokenizing, done=0, total=rows, unit="rows")
        trainer = method_module(spec.method).build_trainer(ctx)
        sink.phase("tokenizing", tokenizing, done=rows, total=rows, unit="rows")
        trainer.remove_callback(PrinterCallback)  # it prints log dicts to stdout; we emit events instead
        callback.tokens_per_sample = ctx.extras.get("tokens_per_example")
        batching = _batching_event(ctx.extras, sink)
        sink.emit(
            "started",
            step=0,
            spec=attempt_spec.model_dump(mode="json"),
            method=spec.method,
            adapter=spec.adapter,
            provider=provider,
            device=device_info,
            precision=precision,
            data_kind=facts["data_kind"],
            chat_template=template_name,
            base_model_path=str(base_path),
            trainable_parameters=trainable,
            total_parameters=total,
            train_rows=len(train_rows),
            eval_rows=len(eval_rows),
            resume_from_checkpoint=resume,
            estimate=estimate,
            batching=batching,
            tokenize_seconds=ctx.extras.get("tokenize_seconds"),
            tokenization=ctx.extras.get("tokenization"),
            devices=distributed.world_size(),
            strategy=strategy,
        )
        try:
            train_output = trainer.train(resume_from_checkpoint=resume)
            break
        except Exception as exc:
            progress["step"] = callback.step
            if not is_out_of_memory(exc):
                raise
            hp = attempt_spec.hyperparameters
            # One process cannot retry alone: the others would wait for it at the next step.
            if not (spec.auto_oom_retry and hp.batch_size > 1) or distributed.world_size() > 1:
                raise OutOfMemory(f"out of memory at batch size {hp.batch_size}: {exc}", OOM_HINT) from exc
            smaller = hp.model_copy(
                update={"batch_size": hp.batch_size // 2, "gradient_accumulation": hp.gradient_accumulation * 2}
            )
            sink.log(
                f"out of memory at batch size {hp.batch_size}; retrying with batch size {smaller.batch_size} "
                f"and gradient accumulation {smaller.gradient_accumulation}",
                level="warning",
                kind="out_of_memory_retry",
            )
            attempt_spec = attempt_spec.model_copy(update={"hyperparameters": smaller})
            del trainer, model, ctx
            _free_memory()

    step = progress["step"] = trainer.state.global_step
    if callback.cancelled:
        checkpoint = callback.last_checkpoint
        sink.emit("cancelled", step=step, checkpoint=checkpoint)
        return RunResult("cancelled", output_dir, step=step, checkpoint=checkpoint)

    sink.phase("saving", "Saving the adapter" if attempt_spec.uses_adapter else "Saving the model")
    files = _save(attempt_spec, trainer, tokenizer, output_dir, sink, strategy)
    final_eval = {}
    if trainer.eval_dataset is not None and spec.method != "grpo":
        sink.phase("evaluating", "Evaluating on the held-out rows", done=0, unit="batches")
        final_eval = trainer.evaluate()  # every rank evaluates its share
    if not main:
        # The other ranks' part ends here: rank 0 alone compares generations and writes the reports.
        return RunResult("finished", output_dir, step=step)
    losses = callback.losses
    metrics: dict[str, Any] = {
        "steps": step,
        "epochs": trainer.state.epoch,
        "first_loss": losses[0][1] if losses else None,
        "final_loss": losses[-1][1] if losses else None,
        "loss_curve": losses,
        "train_runtime_s": train_output.metrics.get("train_runtime"),
        "wall_time_s": round(time.time() - started_at, 2),
        "trainable_parameters": trainable,
        "total_parameters": total,
        "effective_hyperparameters": attempt_spec.hyperparameters.model_dump(mode="json"),
        "batching": batching,
        "files": files,
    }
    if "eval_loss" in final_eval:
        metrics["eval_loss"] = final_eval["eval_loss"]
        metrics["perplexity"] = math.exp(min(final_eval["eval_loss"], 50.0))
    metrics["eval"] = {k.removeprefix("eval_"): v for k, v in final_eval.items() if isinstance(v, (int, float))}

    # Methods whose loss is not a language-model loss keep their trainer's own final numbers
    # (reward accuracy, margins, log-probs ...) next to the generation comparison.
    own = (
        {k: v for k, v in metrics["eval"].items() if k != "epoch" and not k.endswith(("runtime", "_per_second"))}
        if spec.method not in ("sft", "cpt")
        else None
    )
    evaluation = _evaluate(attempt_spec, trainer.model, tokenizer, base_path, eval_rows, sink, step, own)
    if evaluation is not None:
        _write_json(output_dir / "evaluation.json", evaluation)
        metrics["evaluation"] = evaluation.get("summary", {k: v for k, v in evaluation.items() if k != "samples"})
    _write_json(output_dir / "metrics.json", metrics)
    write_model_card(attempt_spec, output_dir, metrics, evaluation)
    _write_json(output_dir / "spec.json", attempt_spec.model_dump(mode="json"))
    sink.emit("finished", step=step, output_dir=str(output_dir), metrics={k: v for k, v in metrics.items()
                                                                           if k != "loss_curve"})
    return RunResult("finished", output_dir, step=step, metrics=metrics)


def _parallel_strategy(spec: TrainingSpec, device: str, device_info: dict, estimate: dict | None,
                       sink: EventSink) -> str:
    """How the processes share the job (distributed.choose_strategy), said in a log event."""
    devices = distributed.world_size()
    if devices <= 1:
        return "single"
    fits_one = None
    if spec.parallelism == "auto" and spec.adapter == "full" and device == "cuda" and estimate is not None:
        one = _estimate(spec.model_copy(update={"devices": 1}), device_info, sink)
        fits_one = None if one is None else one.get("fits")
    strategy = distributed.choose_strategy(devices, adapter=spec.adapter, device_type=device, fits_one_device=fits_one,
                                           requested=spec.parallelism)
    why = {
        "ddp": "each process holds the whole model and trains on its share of every batch; gradients are averaged",
        "fsdp": "parameters, gradients and optimizer states are sharded over the processes"
        + (" (asked for)" if spec.parallelism == "fsdp" else ": full fine-tuning does not fit one device"),
    }[strategy]
    sink.log(f"training on {devices} {device} processes with {strategy.upper()}: {why}; the global batch is "
             f"{spec.hyperparameters.batch_size} x {spec.hyperparameters.gradient_accumulation} x {devices}",
             kind="distributed", devices=devices, strategy=strategy)
    return strategy


def _save(spec: TrainingSpec, trainer, tokenizer, output_dir: Path, sink: EventSink, strategy: str) -> dict[str, str]:
    """The outputs, written by rank 0 alone; FSDP first gathers the sharded weights (every rank takes part)."""
    if strategy == "fsdp":
        trainer.save_model(str(output_dir))  # collective: the full state dict lands on rank 0
        if distributed.is_main():
            tokenizer.save_pretrained(output_dir)
        return {"weights": str(output_dir)}
    if not distributed.is_main():
        return {}
    return save_outputs(spec, trainer, tokenizer, output_dir, sink)


def _checkpoint_when_memory_is_the_limit(spec: TrainingSpec, estimate: dict | None, sink: EventSink) -> TrainingSpec:
    """Gradient checkpointing, switched on when the estimate says the run does not fit without it
    and does with it (it costs about one more forward pass per step, so never otherwise)."""
    if not estimate or estimate.get("fits") is not False or spec.hyperparameters.gradient_checkpointing:
        return spec
    fix = next((s for s in estimate.get("suggestions") or [] if s.get("action") == "gradient_checkpointing"), None)
    if not fix or not fix.get("fits"):
        return spec
    sink.log(
        f"memory is the limit: the estimate needs {estimate.get('peak_memory_gib')} GiB; gradient checkpointing "
        f"switched on ({fix['message']})",
        level="warning",
        kind="gradient_checkpointing",
    )
    estimate.update(fits=True, gradient_checkpointing="auto", peak_memory_bytes=fix["peak_memory_bytes"],
                    peak_memory_gib=round(fix["peak_memory_bytes"] / 2**30, 2))
    hp = spec.hyperparameters.model_copy(update={"gradient_checkpointing": True})
    return spec.model_copy(update={"hyperparameters": hp})


def _batching_event(extras: dict, sink: EventSink) -> dict | None:
    """Says which batching the run uses and why, with its share of real tokens (sft and cpt;
    the other methods batch inside trl's trainers)."""
    report = extras.get("batching")
    if not report:
        return None
    if report.get("note"):
        sink.log(report["note"], level="warning", kind="deprecated_option")
    fraction = report.get("real_token_fraction")
    share = f"; {fraction:.0%} of the computed tokens are real" if isinstance(fraction, float) else ""
    tokenization = extras.get("tokenization") or {}
    took = ""
    if isinstance(tokenization.get("seconds"), (int, float)):
        how = "read from the tokenisation cache" if tokenization.get("cache") == "hit" else "tokenised"
        took = f"; {how} in {tokenization['seconds']:.1f} s"
    sink.log(f"batching: {report['batching']} - {report['reason']}{share}{took}", kind="batching", batching=report)
    return report


def _make_callback(spec: TrainingSpec, sink: EventSink, stop: threading.Event):
    from tuneforge.training.callbacks import EventCallback

    return EventCallback(
        sink,
        stop,
        force_oom_when_batch_above=spec.debug.force_oom_when_batch_above,
        step_delay_s=spec.debug.step_delay_s,
    )
