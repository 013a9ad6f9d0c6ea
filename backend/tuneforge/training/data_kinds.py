"""The data kinds: one vocabulary for the shape of canonical rows, shared by datasets, jobs and the SPA.

A kind names a row shape; the row keys themselves are the canonical ones:

    chat                 {"messages": [{"role", "content"}, ...]}
    prompt_completion    {"prompt", "completion"}
    preference           {"prompt", "chosen", "rejected"}
    unpaired_preference  {"prompt", "completion", "label": true/false}   (KTO)
    text                 {"text"}
    prompt               {"prompt", <reference columns: solution, answer, ...>}   (GRPO)

The datasets module stores these names on every version; the API serves the descriptions in
`GET /api/info` (`data_kinds`) so the SPA shows the same wording as the training library's errors.
Imports nothing of TuneForge outside the training library, and no torch.
"""

from __future__ import annotations

from typing import Literal, get_args

from tuneforge.training.exceptions import DatasetError

DataKind = Literal["chat", "prompt_completion", "preference", "unpaired_preference", "text", "prompt"]
DATA_KINDS: tuple[DataKind, ...] = get_args(DataKind)

# One label per kind: shown by the wizard and used in the training library's error messages
# ("KTO needs labelled completions (good or bad); this dataset is chat conversations").
DATA_KIND_DESCRIPTIONS: dict[str, str] = {
    "chat": "chat conversations",
    "prompt_completion": "prompt/completion pairs",
    "preference": "preference pairs (prompt/chosen/rejected)",
    "unpaired_preference": "labelled completions (good or bad)",
    "text": "raw text",
    "prompt": "prompts only",
}

# Which kinds each method trains on. The first kind is what the wizard suggests.
METHOD_DATA_KINDS: dict[str, tuple[DataKind, ...]] = {
    "sft": ("chat", "prompt_completion"),
    "cpt": ("text",),
    "dpo": ("preference",),
    "orpo": ("preference",),
    "simpo": ("preference",),
    "cpo": ("preference",),
    "reward": ("preference",),
    "kto": ("unpaired_preference",),
    # GRPO generates its own completions; a reference answer (completion / last assistant turn)
    # feeds the exact-match reward.
    "grpo": ("prompt_completion", "chat", "prompt"),
}

# The method(s) to suggest for a dataset of a kind, in hints.
METHODS_FOR_KIND: dict[str, str] = {
    "chat": "sft",
    "prompt_completion": "sft",
    "preference": "dpo, orpo, simpo, cpo or reward",
    "unpaired_preference": "kto",
    "text": "cpt",
    "prompt": "grpo",
}


def row_kind(row: dict) -> DataKind:
    """The kind of one canonical row."""
    keys = set(row)
    if "messages" in keys:
        return "chat"
    if {"prompt", "chosen", "rejected"} <= keys:
        return "preference"
    if {"prompt", "completion", "label"} <= keys:
        return "unpaired_preference"
    if {"prompt", "completion"} <= keys:
        return "prompt_completion"
    if "text" in keys:
        return "text"
    if "prompt" in keys:
        return "prompt"
    raise DatasetError(
        f"unrecognised row with keys {sorted(keys)}",
        "Rows must be one of: messages | prompt/completion | prompt/chosen/rejected | "
        "prompt/completion/label | text. Re-import the file through the datasets page to normalise it.",
    )


__all__ = ["DATA_KINDS", "DATA_KIND_DESCRIPTIONS", "METHODS_FOR_KIND", "METHOD_DATA_KINDS", "DataKind", "row_kind"]
