"""Odds-Ratio Preference Optimisation: SFT on the chosen answer plus an odds-ratio penalty on
the rejected one, in one stage and without a reference model (trl.experimental.orpo)."""

from __future__ import annotations

import os

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

from datasets import Dataset  # noqa: E402
from trl.experimental.orpo import ORPOConfig, ORPOTrainer  # noqa: E402

from tuneforge.training.batching import grouped_trainer_class, report_row_batching  # noqa: E402
from tuneforge.training.context import RunContext  # noqa: E402
from tuneforge.training.data import to_conversational_preference  # noqa: E402


def build_trainer(ctx: RunContext) -> ORPOTrainer:
    spec = ctx.spec
    train = Dataset.from_list([to_conversational_preference(r) for r in ctx.train_rows])
    evaluation = Dataset.from_list([to_conversational_preference(r) for r in ctx.eval_rows]) if ctx.eval_rows else None

    args = ORPOConfig(
        **ctx.args,
        beta=ctx.beta(0.1),
        max_length=spec.data.max_length,
        max_completion_length=spec.data.max_length // 2,
        remove_unused_columns=False,
    )
    trainer = grouped_trainer_class(ORPOTrainer, spec)(
        model=ctx.model,
        args=args,
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=ctx.tokenizer,
        callbacks=ctx.callbacks,
    )
    report_row_batching(ctx, trainer)
    return trainer
