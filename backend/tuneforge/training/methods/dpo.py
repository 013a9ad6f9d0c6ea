"""Direct Preference Optimisation on prompt/chosen/rejected rows (trl's DPOTrainer).

Rows become chat messages so trl renders them with the same chat template as SFT. With an
adapter the reference model is the base with the adapter switched off (no second copy); with
full fine-tuning it is a frozen copy of the starting weights.
"""

from __future__ import annotations

import copy

from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from tuneforge.training.batching import grouped_trainer_class, report_row_batching
from tuneforge.training.context import RunContext
from tuneforge.training.data import to_conversational_preference


def build_trainer(ctx: RunContext) -> DPOTrainer:
    spec = ctx.spec
    train = Dataset.from_list([to_conversational_preference(r) for r in ctx.train_rows])
    evaluation = Dataset.from_list([to_conversational_preference(r) for r in ctx.eval_rows]) if ctx.eval_rows else None
    ref_model = None if spec.uses_adapter else copy.deepcopy(ctx.model).eval()

    args = DPOConfig(
        **ctx.args,
        beta=ctx.beta(0.1),
        loss_type=[ctx.options.dpo_loss],
        max_length=spec.data.max_length,
        dataset_num_proc=None,
    )
    trainer = grouped_trainer_class(DPOTrainer, spec)(
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
