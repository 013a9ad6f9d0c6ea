"""Supervised fine-tuning on chat or prompt/completion rows.

Rows are rendered with the chat template and tokenised here, with labels masked to the
assistant tokens (see data.py). Training runs on transformers' `Trainer` (TuneForgeTrainer:
chunked loss, length-grouped sampling) rather than trl's `SFTTrainer`: with the data already
tokenised and masked, SFTTrainer adds only per-step entropy and token-accuracy metrics, computed
on every step, which cost time on small models. The loss is the same token-mean cross-entropy
(normalised over the accumulated batch). How rows become batches (packed, length-grouped, plain)
is batching.py's.
"""

from __future__ import annotations

from transformers import Trainer, TrainingArguments

from tuneforge.training.batching import plan_batches
from tuneforge.training.chunked_loss import make_trainer_class
from tuneforge.training.context import RunContext
from tuneforge.training.data import tokenize_sft
from tuneforge.training.token_cache import cache_root, tokenized


def build_trainer(ctx: RunContext) -> Trainer:
    spec = ctx.spec
    options = dict(max_length=spec.data.max_length, loss_on=spec.data.loss_on)
    train_examples, eval_examples = cached_tokenize(
        ctx, options, lambda rows: tokenize_sft(ctx.tokenizer, rows, packing=False, **options)
    )
    return batched_trainer(ctx, train_examples, eval_examples)


def cached_tokenize(ctx: RunContext, options: dict, tokenize) -> tuple[list[dict], list[dict] | None]:
    """Training and held-out examples through the tokenisation cache (token_cache.py); the time it
    took and whether the cache had them go to the job's first events."""
    train, evals = ctx.train_rows, ctx.eval_rows
    (train_examples, eval_examples), info = tokenized(
        root=cache_root(ctx.spec.model_cache_dir),
        tokenizer=ctx.tokenizer,
        rows=[train, evals],
        options={**options, "method": ctx.spec.method, "template": ctx.tokenizer.chat_template},
        tokenize=tokenize,
    )
    ctx.extras["tokenization"] = info
    ctx.extras["tokenize_seconds"] = info["seconds"]
    return train_examples, (eval_examples or None)


def batched_trainer(ctx: RunContext, train_examples: list[dict], eval_examples: list[dict] | None) -> Trainer:
    """The trainer over tokenised examples, batched as the spec asks (shared with cpt)."""
    plan = plan_batches(ctx, train_examples, eval_examples)
    ctx.extras["batching"] = plan.report
    ctx.extras["train_examples"] = len(train_examples)
    ctx.extras["tokens_per_example"] = sum(len(e["input_ids"]) for e in plan.train_dataset) / max(len(plan.train_dataset), 1)
    args = TrainingArguments(
        **{**ctx.args, "per_device_train_batch_size": plan.rows_per_batch, "per_device_eval_batch_size": plan.rows_per_batch},
        remove_unused_columns=False,
        include_num_input_tokens_seen="non_padding",
        prediction_loss_only=True,
    )
    return make_trainer_class()(
        model=ctx.model,
        args=args,
        train_dataset=plan.train_dataset,
        eval_dataset=plan.eval_dataset or None,
        data_collator=plan.collator,
        processing_class=ctx.tokenizer,
        callbacks=ctx.callbacks,
        sampler=plan.sampler,
        batch_sampler=plan.batch_sampler,
    )
