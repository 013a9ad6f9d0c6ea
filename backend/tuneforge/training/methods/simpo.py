"""SimPO and CPO: reference-free preference optimisation (trl.experimental.cpo).

- `simpo`: length-normalised log-probability margin with a target margin gamma
  (loss_type="simpo", cpo_alpha=0 - no SFT term).
- `cpo`: contrastive preference loss plus an SFT term on the chosen answer (cpo_alpha).
"""

from __future__ import annotations

import os

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

from datasets import Dataset  # noqa: E402
from trl.experimental.cpo import CPOConfig, CPOTrainer  # noqa: E402

from tuneforge.training.batching import grouped_trainer_class, report_row_batching  # noqa: E402
from tuneforge.training.context import RunContext  # noqa: E402
from tuneforge.training.data import to_conversational_preference  # noqa: E402


def build_trainer(ctx: RunContext) -> CPOTrainer:
    spec = ctx.spec
    train = Dataset.from_list([to_conversational_preference(r) for r in ctx.train_rows])
    evaluation = Dataset.from_list([to_conversational_preference(r) for r in ctx.eval_rows]) if ctx.eval_rows else None

    if spec.method == "simpo":
        method_args = dict(loss_type="simpo", beta=ctx.beta(2.0), simpo_gamma=ctx.options.simpo_gamma, cpo_alpha=0.0)
    else:
        method_args = dict(loss_type="sigmoid", beta=ctx.beta(0.1), cpo_alpha=ctx.options.cpo_alpha)
    args = CPOConfig(
        **ctx.args,
        **method_args,
        max_length=spec.data.max_length,
        max_completion_length=spec.data.max_length // 2,
        remove_unused_columns=False,
    )
    trainer = grouped_trainer_class(CPOTrainer, spec)(
        model=ctx.model,
        args=args,
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=ctx.tokenizer,
        callbacks=ctx.callbacks,
    )
    report_row_batching(ctx, trainer)
    return trainer
