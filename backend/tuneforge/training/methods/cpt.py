"""Continued pre-training on raw text: every token is trained and documents end with EOS.
Batching as for sft (packed, length-grouped or plain, see batching.py), or `concatenate`: the
corpus cut into full `max_length` blocks across document boundaries (the old `data.packing`)."""

from __future__ import annotations

from transformers import Trainer

from tuneforge.training.context import RunContext
from tuneforge.training.data import tokenize_text
from tuneforge.training.methods.sft import batched_trainer, cached_tokenize
from tuneforge.training.spec import requested_batching


def build_trainer(ctx: RunContext) -> Trainer:
    spec = ctx.spec
    batching, _ = requested_batching(spec)
    # Concatenation cuts whole documents into blocks; every other batching keeps documents whole
    # up to max_length.
    length = 10**9 if batching == "concatenate" else spec.data.max_length
    train_examples, eval_examples = cached_tokenize(
        ctx, {"max_length": length}, lambda rows: tokenize_text(ctx.tokenizer, rows, max_length=length, packing=False)
    )
    return batched_trainer(ctx, train_examples, eval_examples)
