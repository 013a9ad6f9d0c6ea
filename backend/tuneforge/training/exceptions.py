"""Errors a training run can end with.

Every failure carries a *kind* (what went wrong, for the UI and the worker) and a *hint*
(what the user should do next). The kinds are the ones the `failed` event reports.
"""

from __future__ import annotations

CONFIGURATION = "configuration"
DATASET = "dataset"
OUT_OF_MEMORY = "out_of_memory"
RUNTIME = "runtime"


class TrainingError(Exception):
    kind = RUNTIME

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_event(self) -> dict:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}


class SpecError(TrainingError):
    """The spec cannot run as written. Raised before any model is loaded."""

    kind = CONFIGURATION


class DatasetError(TrainingError):
    kind = DATASET


class OutOfMemory(TrainingError):
    kind = OUT_OF_MEMORY


OOM_HINT = (
    "Lower hyperparameters.batch_size (and raise gradient_accumulation to keep the effective "
    "batch), lower data.max_length, turn on gradient_checkpointing, use adapter 'lora' or "
    "'qlora' instead of 'full', or set auto_oom_retry: true to let the run halve the batch itself."
)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's OutOfMemoryError and the RuntimeErrors that mean the same thing."""
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover - torch is always there when training
        pass
    return isinstance(exc, (RuntimeError, MemoryError)) and (
        isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()
    )
