"""Kahneman-Tversky Optimisation on prompt/completion/label rows: single completions marked
desirable (label true) or undesirable (false), no pairs needed (trl's KTOTrainer)."""

from __future__ import annotations

import copy

from datasets import Dataset
from trl import KTOConfig, KTOTrainer

from tuneforge.training.batching import grouped_trainer_class, report_row_batching
from tuneforge.training.context import RunContext
from tuneforge.training.data import to_conversational_preference


def _row(row: dict) -> dict:
    out = to_conversational_preference(row)
    label = row["label"]
    out["label"] = label if isinstance(label, bool) else str(label).lower() in ("1", "true", "yes", "good")
    return out


def build_trainer(ctx: RunContext) -> KTOTrainer:
    spec = ctx.spec
    train = Dataset.from_list([_row(r) for r in ctx.train_rows])
    evaluation = Dataset.from_list([_row(r) for r in ctx.eval_rows]) if ctx.eval_rows else None
    ref_model = None if spec.uses_adapter else copy.deepcopy(ctx.model).eval()

    args = KTOConfig(
        **ctx.args,
        beta=ctx.beta(0.1),
        desirable_weight=ctx.options.desirable_weight,
        undesirable_weight=ctx.options.undesirable_weight,
        max_length=spec.data.max_length,
    )
    trainer = grouped_trainer_class(KTOTrainer, spec)(
        model=ctx.model,
        ref_model=ref_model,
        args=args,
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=ctx.tokenizer,
        callbacks=ctx.callbacks,
    )
    report_row_batching(ctx, trainer)
    return trainer
