"""Supervised fine-tuning on chat or prompt/completion rows.

Rows are rendered with the chat template and tokenised here, with labels masked to the
assistant tokens (see data.py). Training runs on transformers' `Trainer` rather than trl's
`SFTTrainer`: with the data already tokenised and masked, SFTTrainer adds only per-step
entropy and token-accuracy metrics, computed on every step, which cost time on small models.
The loss is the same token-mean cross-entropy (normalised over the accumulated batch).
"""

from __future__ import annotations

from transformers import Trainer, TrainingArguments

from tuneforge.training.context import RunContext
from tuneforge.training.data import CausalLMCollator, tokenize_sft


def build_trainer(ctx: RunContext) -> Trainer:
    spec = ctx.spec
    tokenize = dict(max_length=spec.data.max_length, loss_on=spec.data.loss_on, packing=spec.data.packing)
    train_dataset = tokenize_sft(ctx.tokenizer, ctx.train_rows, **tokenize)
    eval_dataset = tokenize_sft(ctx.tokenizer, ctx.eval_rows, **tokenize) if ctx.eval_rows else None
    ctx.extras["train_examples"] = len(train_dataset)
    ctx.extras["tokens_per_example"] = sum(len(e["input_ids"]) for e in train_dataset) / len(train_dataset)

    args = TrainingArguments(
        **ctx.args,
        remove_unused_columns=False,
        include_num_input_tokens_seen="non_padding",
    )
    return Trainer(
        model=ctx.model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        data_collator=CausalLMCollator(ctx.tokenizer.pad_token_id),
        processing_class=ctx.tokenizer,
        callbacks=ctx.callbacks,
    )
