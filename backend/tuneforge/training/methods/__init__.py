"""One file per training method. Each exposes `build_trainer(ctx: RunContext) -> Trainer`.

The runner picks the module by the validated `spec.method` (a closed Literal), never by a
dotted string from user input.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES = {
    "sft": "sft",
    "cpt": "cpt",
    "dpo": "dpo",
    "orpo": "orpo",
    "kto": "kto",
    "simpo": "simpo",
    "cpo": "simpo",
    "grpo": "grpo",
    "reward": "reward",
}


def method_module(method: str) -> ModuleType:
    return importlib.import_module(f"tuneforge.training.methods.{MODULES[method]}")
