"""Errors a training run can end with.

Every failure carries a *kind* (what went wrong, for the UI and the worker) and a *hint*
(what the user should do next). The kinds are the ones the `failed` event reports.
"""

from __future__ import annotations

from pathlib import Path

CONFIGURATION = "configuration"
DATASET = "dataset"
OUT_OF_MEMORY = "out_of_memory"
DISK_FULL = "disk_full"
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


class DiskFull(TrainingError):
    kind = DISK_FULL


DISK_FULL_HINT = (
    "The storage volume is full: free space on the storage volume, then Resume — the run continues "
    "from its last complete checkpoint (a checkpoint cut short by the full disk is not used)."
)
# How a full disk reads in errors that carry no errno: Rust libraries (tokenizers, safetensors)
# report "No space left on device (os error 28)" or "StorageFull", torch "file write failed".
_DISK_FULL_MARKERS = ("no space left on device", "os error 28", "storagefull", "disk quota exceeded", "os error 122")
_WRITE_MARKERS = ("write", "writing", "serializ", "save")
_NEARLY_FULL_BYTES = 1 << 20


OOM_HINT = (
    "Lower hyperparameters.batch_size (and raise gradient_accumulation to keep the effective "
    "batch), lower data.max_length, turn on gradient_checkpointing, use adapter 'lora' or "
    "'qlora' instead of 'full', or set auto_oom_retry: true to let the run halve the batch itself."
)


def is_disk_full(exc: BaseException, path: Path | str | None = None) -> bool:
    """True when `exc` (or what caused it) means the disk filled up: ENOSPC/EDQUOT, or a library's
    wording of them; or a failed write while the volume of `path` has almost no space left."""
    import errno
    import shutil

    seen: set[int] = set()
    current: BaseException | None = exc
    chain: list[BaseException] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for error in chain:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(marker in str(error).lower() for marker in _DISK_FULL_MARKERS):
            return True
    if path is not None and any(marker in str(error).lower() for error in chain for marker in _WRITE_MARKERS):
        try:
            return shutil.disk_usage(Path(path) if Path(path).exists() else Path(path).parent).free < _NEARLY_FULL_BYTES
        except OSError:
            return False
    return False


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
