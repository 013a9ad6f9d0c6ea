"""What a method file gets to build its trainer from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneforge.training.spec import TrainingSpec


@dataclass
class RunContext:
    spec: TrainingSpec
    data_kind: str
    tokenizer: Any
    model: Any  # with the adapter already applied for lora/qlora
    train_rows: list[dict]
    eval_rows: list[dict]
    # Keyword arguments every trainer config shares (TrainingArguments / trl configs).
    args: dict[str, Any]
    callbacks: list[Any]
    base_model_path: Path
    device: str
    precision: str
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def options(self):
        return self.spec.method_options

    def beta(self, default: float) -> float:
        return self.spec.method_options.beta if self.spec.method_options.beta is not None else default
