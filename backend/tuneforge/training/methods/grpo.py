"""Group Relative Policy Optimisation (trl's GRPOTrainer).

For each prompt the policy samples `grpo.num_generations` completions; built-in reward
functions (exact match against the reference answer or a named reference column, regex, length target, valid JSON) and
optionally a trained reward model score them, and each completion is pushed up or down by its
advantage over the group mean. `beta` (KL to the base) defaults to 0: no reference model.
"""

from __future__ import annotations

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from tuneforge.training.context import RunContext
from tuneforge.training.data import prompt_messages, reference_answer, reference_columns
from tuneforge.training.rewards import build_reward_functions


def _row(row: dict) -> dict:
    # Prompt-only rows bring their named reference columns (solution, answer, ...): rewards read them.
    references = reference_columns(row)
    return {**references, "prompt": prompt_messages(row), "answer": reference_answer(row) or references.get("answer", "")}


def _dataset(rows: list[dict]) -> Dataset:
    items = [_row(r) for r in rows]
    columns = {key: None for item in items for key in item}
    return Dataset.from_list([{key: item.get(key, "") for key in columns} for item in items])


def build_trainer(ctx: RunContext) -> GRPOTrainer:
    spec = ctx.spec
    grpo = spec.grpo
    train = _dataset(ctx.train_rows)
    reward_funcs, weights = build_reward_functions(grpo.rewards)
    reward_processing_classes = [None] * len(reward_funcs)
    if grpo.reward_model:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from tuneforge.training.loading import resolve_base_model

        path = resolve_base_model(grpo.reward_model, ctx.base_model_path.parent)
        scorer = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
        reward_funcs.append(scorer)
        reward_processing_classes.append(AutoTokenizer.from_pretrained(path))
        weights.append(1.0)

    args = GRPOConfig(
        **{**ctx.args, "eval_strategy": "no"},
        num_generations=grpo.num_generations,
        max_completion_length=grpo.max_completion_length,
        temperature=grpo.temperature,
        beta=ctx.beta(0.0),
        reward_weights=weights,
        remove_unused_columns=False,
    )
    return GRPOTrainer(
        model=ctx.model,
        reward_funcs=reward_funcs,
        args=args,
        train_dataset=train,
        processing_class=ctx.tokenizer,
        reward_processing_classes=reward_processing_classes,
        callbacks=ctx.callbacks,
    )
