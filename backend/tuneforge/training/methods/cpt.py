"""Continued pre-training on raw text: every token is trained, documents end with EOS, and
with `data.packing` the corpus is cut into full `max_length` blocks (no padding)."""

from __future__ import annotations

from transformers import Trainer, TrainingArguments

from tuneforge.training.context import RunContext
from tuneforge.training.data import CausalLMCollator, tokenize_text


def build_trainer(ctx: RunContext) -> Trainer:
    spec = ctx.spec
    tokenize = dict(max_length=spec.data.max_length, packing=spec.data.packing)
    train_dataset = tokenize_text(ctx.tokenizer, ctx.train_rows, **tokenize)
    eval_dataset = tokenize_text(ctx.tokenizer, ctx.eval_rows, **tokenize) if ctx.eval_rows else None
    ctx.extras["train_examples"] = len(train_dataset)
    ctx.extras["tokens_per_example"] = sum(len(e["input_ids"]) for e in train_dataset) / max(len(train_dataset), 1)

    args = TrainingArguments(
        **ctx.args,
        remove_unused_columns=False,
        include_num_input_tokens_seen="non_padding",
    )
    return Trainer(
        model=ctx.model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset or None,
        data_collator=CausalLMCollator(ctx.tokenizer.pad_token_id),
        processing_class=ctx.tokenizer,
        callbacks=ctx.callbacks,
    )
