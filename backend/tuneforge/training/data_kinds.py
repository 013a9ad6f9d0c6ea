"""The data kinds: one vocabulary for the shape of canonical rows, shared by datasets, jobs and the SPA.

A kind names a row shape; the row keys themselves are the canonical ones:

    chat                 {"messages": [{"role", "content"}, ...]}
    tool_chat            {"messages": [... assistant "tool_calls", "tool" results ...], "tools": [...]}  (OpenAI shape)
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

from tuneforge.training.catalogue import METHOD_CATALOGUE
from tuneforge.training.exceptions import DatasetError

DataKind = Literal["chat", "tool_chat", "prompt_completion", "preference", "unpaired_preference", "text", "prompt"]
DATA_KINDS: tuple[DataKind, ...] = get_args(DataKind)

# One label per kind: shown by the wizard and used in the training library's error messages
# ("KTO needs labelled completions (good or bad); this dataset is chat conversations").
DATA_KIND_DESCRIPTIONS: dict[str, str] = {
    "chat": "chat conversations",
    "tool_chat": "conversations with tool calls",
    "prompt_completion": "prompt/completion pairs",
    "preference": "preference pairs (prompt/chosen/rejected)",
    "unpaired_preference": "labelled completions (good or bad)",
    "text": "raw text",
    "prompt": "prompts only",
}

# Which kinds each method trains on. The first kind is what the wizard suggests.
# Which kinds each method trains on (the catalogue's entries; the first is what the wizard suggests).
METHOD_DATA_KINDS: dict[str, tuple[DataKind, ...]] = {m.name: m.data_kinds for m in METHOD_CATALOGUE.values()}  # type: ignore[misc]

# The method(s) to suggest for a dataset of a kind, in hints ("dpo, orpo, simpo, cpo or reward").
def _join_or(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


METHODS_FOR_KIND: dict[str, str] = {
    kind: _join_or([m.name for m in METHOD_CATALOGUE.values() if kind in m.suggest_for]) for kind in DATA_KINDS
}


def row_kind(row: dict) -> DataKind:
    """The kind of one canonical row."""
    keys = set(row)
    if "messages" in keys:
        return "tool_chat" if "tools" in keys else "chat"
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
