"""Built-in GRPO reward functions.

Each takes trl's keyword arguments (`prompts`, `completions`, plus dataset columns such as
`answer` and, for prompt-only rows, their reference columns such as `solution`) and returns one float per completion. Completions are chat-message lists when the
prompts are conversational, plain strings otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from tuneforge.training.spec import RewardFunction


def completion_text(completion) -> str:
    if isinstance(completion, list):
        return "".join(m.get("content", "") for m in completion if isinstance(m, dict))
    return str(completion)


def normalise(text: str) -> str:
    return " ".join(text.strip().lower().split())


def exact_match(completions, answer=None, **_) -> list[float]:
    """1.0 when the answer equals the reference (case and spacing ignored)."""
    answers = answer if answer is not None else [None] * len(completions)
    return [
        float(ref is not None and normalise(completion_text(c)) == normalise(str(ref)))
        for c, ref in zip(completions, answers, strict=True)
    ]


def exact_match_column(column: str) -> Callable[..., list[float]]:
    """exact_match against a named reference column of the rows (e.g. prompt-only rows' `solution`)."""

    def exact_match_reference(completions, **columns) -> list[float]:
        return exact_match(completions, answer=columns.get(column))

    exact_match_reference.__name__ = f"exact_match_{column}"
    return exact_match_reference


def regex_reward(pattern: str) -> Callable[..., list[float]]:
    compiled = re.compile(pattern, re.DOTALL)

    def regex_match(completions, **_) -> list[float]:
        return [float(compiled.fullmatch(completion_text(c).strip()) is not None) for c in completions]

    return regex_match


def length_reward(target: int) -> Callable[..., list[float]]:
    """1.0 at exactly `target` characters, falling linearly to 0 at 0 or 2x target."""

    def length_target(completions, **_) -> list[float]:
        return [max(0.0, 1.0 - abs(len(completion_text(c).strip()) - target) / target) for c in completions]

    return length_target


def valid_json(completions, **_) -> list[float]:
    scores = []
    for c in completions:
        try:
            json.loads(completion_text(c).strip())
            scores.append(1.0)
        except ValueError:
            scores.append(0.0)
    return scores


def build_reward_functions(rewards: list[RewardFunction]) -> tuple[list[Callable], list[float]]:
    funcs, weights = [], []
    for reward in rewards:
        if reward.kind == "exact_match":
            column = reward.reference_column
            funcs.append(exact_match if column in (None, "answer") else exact_match_column(column))
        elif reward.kind == "regex":
            funcs.append(regex_reward(reward.pattern or ".*"))
        elif reward.kind == "length":
            funcs.append(length_reward(reward.target_length or 1))
        else:
            funcs.append(valid_json)
        weights.append(reward.weight)
    return funcs, weights
