"""Turns a job's stored configuration into the training library's spec, with real paths.

The same function serves the API (validate before queueing) and the worker (what to run), so
what was validated is what runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneforge.storage import Storage

def output_key(job_id) -> str:
    """Where a job's outputs and checkpoints live in storage."""
    return f"jobs/{job_id}/output"


def has_checkpoint(storage: Storage, job_id) -> bool:
    return any(storage.path(output_key(job_id)).glob("**/checkpoint-*"))


# Job-level keys that are not part of the training spec.
_JOB_ONLY_KEYS = ("dataset_version_id", "weight", "mixture")


def training_spec_dict(
    config: dict[str, Any], *, storage: Storage, output_dir: Path, cache_dir: Path, resume: bool = False
) -> dict[str, Any]:
    spec = {k: v for k, v in config.items() if k not in _JOB_ONLY_KEYS and v is not None}
    data = dict(config.get("data") or {})
    files = data.pop("files")
    mixture = data.pop("mixture", [])
    data["sources"] = [{"path": str(storage.path(files["train"])), "weight": config.get("weight", 1.0)}] + [
        {"path": str(storage.path(m["key"])), "weight": m["weight"]} for m in mixture
    ]
    if files.get("validation"):
        data["validation_path"] = str(storage.path(files["validation"]))
    spec["data"] = data
    spec["output_dir"] = str(output_dir)
    spec["model_cache_dir"] = str(cache_dir)
    spec["resume_from_checkpoint"] = "latest" if resume else None
    if not spec.get("debug"):
        spec.pop("debug", None)
    return spec


def version_files(version) -> dict[str, str | None]:
    """The canonical JSONL a dataset version trains on: its train split, else all its rows."""
    files = version.files or {}
    return {"train": files.get("train") or files.get("rows"), "validation": files.get("validation")}
