"""Reward model: a sequence-classification head trained on preference pairs so the chosen
answer scores above the rejected one (trl's RewardTrainer, Bradley-Terry loss). Its output
folder can score completions in a GRPO run (grpo.reward_model)."""

from __future__ import annotations

from datasets import Dataset
from trl import RewardConfig, RewardTrainer

from tuneforge.training.batching import grouped_trainer_class, report_row_batching
from tuneforge.training.context import RunContext
from tuneforge.training.data import to_conversational_preference


def build_trainer(ctx: RunContext) -> RewardTrainer:
    spec = ctx.spec
    train = Dataset.from_list([to_conversational_preference(r) for r in ctx.train_rows])
    evaluation = Dataset.from_list([to_conversational_preference(r) for r in ctx.eval_rows]) if ctx.eval_rows else None

    args = RewardConfig(**ctx.args, max_length=spec.data.max_length)
    trainer = grouped_trainer_class(RewardTrainer, spec)(
        model=ctx.model,
        args=args,
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=ctx.tokenizer,
        callbacks=ctx.callbacks,
    )
    report_row_batching(ctx, trainer)
    return trainer
