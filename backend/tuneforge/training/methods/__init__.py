"""One file per training method. Each exposes `build_trainer(ctx: RunContext) -> Trainer`.

The runner picks the module by the validated `spec.method` (a closed Literal), never by a
dotted string from user input.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tuneforge.training.catalogue import METHOD_CATALOGUE

# The method's file, from the catalogue entry (cpo shares simpo's file).
MODULES = {m.name: m.module for m in METHOD_CATALOGUE.values()}


def method_module(method: str) -> ModuleType:
    return importlib.import_module(f"tuneforge.training.methods.{MODULES[method]}")
