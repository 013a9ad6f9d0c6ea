"""Recognise a dataset's format from a sample of rows and map its columns onto a canonical kind.

Kinds are the training library's data kinds (tuneforge.training.data_kinds): a format reads rows of
chat, prompt_completion, preference, unpaired_preference (KTO) or text. Each format names the
columns ("slots") it reads; an explicit user mapping replaces detection entirely. Slot names are the
canonical row keys ("messages", "prompt", ...), not kinds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tuneforge.training.data_kinds import DataKind

# The kinds a dataset can be: every data kind (prompt-only rows come from the prompt_only format).
KINDS: tuple[DataKind, ...] = ("chat", "tool_chat", "prompt_completion", "preference", "unpaired_preference", "text", "prompt")
# The reference slots of prompt-only (RL) rows: kept under these names, for GRPO rewards
# (grpo.rewards[].reference_column).
REFERENCE_SLOTS: tuple[str, ...] = ("solution", "answer", "ground_truth", "reference")
_CHAT_COLUMNS = ("messages", "conversations", "conversation", "chat", "dialog", "dialogue", "turns")


@dataclass(frozen=True)
class Format:
    name: str
    kind: DataKind
    title: str
    required: dict[str, tuple[str, ...]]  # slot -> column names that fill it (lower case)
    optional: dict[str, tuple[str, ...]] = field(default_factory=dict)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in [
        Format("openai", "chat", "OpenAI chat messages (role/content)",
               {"messages": ("messages", "conversation", "conversations", "chat", "dialog", "dialogue", "turns")},
               {"system": ("system", "system_prompt")}),
        Format("sharegpt", "chat", "ShareGPT conversations (from/value)",
               {"messages": ("conversations", "conversation", "messages", "chat", "dialog", "turns")},
               {"system": ("system", "system_prompt")}),
        Format("openai_tools", "tool_chat", "OpenAI chat with tool calls (messages with tool_calls/tool + tools)",
               {"messages": ("messages", "conversation", "conversations", "chat", "dialog", "dialogue", "turns"),
                "tools": ("tools", "functions")},
               {"system": ("system", "system_prompt")}),
        Format("sharegpt_tools", "tool_chat", "ShareGPT conversations with tool calls (function_call/observation + tools)",
               {"messages": ("conversations", "conversation", "messages", "chat", "dialog", "turns"),
                "tools": ("tools", "functions")},
               {"system": ("system", "system_prompt")}),
        Format("preference", "preference", "Preference pairs (prompt/chosen/rejected)",
               {"prompt": ("prompt", "question", "instruction"), "chosen": ("chosen",), "rejected": ("rejected",)}),
        Format("sharegpt_preference", "preference",
               "Preference on a conversation (conversations + chosen/rejected turns, ShareGPT or OpenAI style)",
               {"prompt": _CHAT_COLUMNS, "chosen": ("chosen",), "rejected": ("rejected",)},
               {"system": ("system", "system_prompt")}),
        Format("openai_preference", "preference",
               "OpenAI preference fine-tuning (input/preferred_output/non_preferred_output)",
               {"prompt": ("input",), "chosen": ("preferred_output",), "rejected": ("non_preferred_output",)}),
        Format("implicit_preference", "preference", "Preference pairs with the prompt inside chosen/rejected",
               {"chosen": ("chosen",), "rejected": ("rejected",)}),
        Format("anthropic_hh", "preference", "Anthropic HH (full-text chosen/rejected)",
               {"chosen": ("chosen",), "rejected": ("rejected",)}),
        Format("kto", "unpaired_preference", "KTO (prompt/completion/label)",
               {"prompt": ("prompt",), "completion": ("completion", "response"), "label": ("label",)}),
        Format("kto_chat", "unpaired_preference",
               "KTO conversations (messages + label; the last assistant turn is the labelled completion)",
               {"messages": _CHAT_COLUMNS, "label": ("label",)}, {"system": ("system", "system_prompt")}),
        Format("alpaca", "prompt_completion", "Alpaca (instruction/input/output)",
               {"instruction": ("instruction",), "output": ("output",)}, {"input": ("input",)}),
        Format("dolly", "prompt_completion", "Dolly (instruction/context/response)",
               {"instruction": ("instruction",), "response": ("response",)}, {"context": ("context",)}),
        Format("prompt_completion", "prompt_completion", "Prompt/completion",
               {"prompt": ("prompt", "input", "query"), "completion": ("completion", "response", "output")}),
        Format("question_answer", "prompt_completion", "Question/answer",
               {"question": ("question",), "answer": ("answer",)}, {"context": ("context",)}),
        Format("text", "text", "Plain text", {"text": ("text", "content", "document", "body")}),
        Format("prompt_only", "prompt", "Prompts for RL (prompt + reference columns such as solution)",
               {"prompt": ("prompt", "problem", "question", "query")},
               {"solution": ("solution",), "answer": ("answer", "final_answer"),
                "ground_truth": ("ground_truth", "gold"),
                "reference": ("reference", "reference_answer", "expected_answer", "expected_output", "target")}),
    ]
}
# Formats whose rows do not come from columns: documents and markdown transcripts.
DOCUMENT_FORMATS: dict[str, DataKind] = {"documents": "text", "markdown_chat": "chat"}
DEFAULT_FORMAT_FOR_KIND: dict[str, str] = {"chat": "openai", "tool_chat": "openai_tools", "prompt_completion": "prompt_completion",
                                           "preference": "preference", "unpaired_preference": "kto", "text": "text",
                                           "prompt": "prompt_only"}
_PRIORITY = ["openai_tools", "sharegpt_tools", "kto_chat", "openai", "sharegpt", "preference", "sharegpt_preference", "openai_preference", "anthropic_hh",
             "implicit_preference", "kto", "alpaca", "dolly", "prompt_completion", "question_answer", "text",
             "prompt_only"]


@dataclass
class Mapping:
    format: str
    columns: dict[str, str]  # slot -> source column

    @property
    def kind(self) -> DataKind:
        if self.format in DOCUMENT_FORMATS:
            return DOCUMENT_FORMATS[self.format]
        return FORMATS[self.format].kind

    def to_dict(self) -> dict:
        return {"kind": self.kind, "format": self.format, "columns": dict(self.columns)}


@dataclass
class Detection:
    mapping: Mapping | None
    candidates: list[Mapping]
    columns: list[str]
    ambiguous: bool = False
    message: str = ""

    def to_dict(self) -> dict:
        return {
            "mapping": self.mapping.to_dict() if self.mapping else None,
            "title": title_of(self.mapping) if self.mapping else None,
            "candidates": [c.to_dict() | {"title": title_of(c)} for c in self.candidates],
            "columns": self.columns,
            "ambiguous": self.ambiguous,
            "message": self.message,
        }


def title_of(mapping: Mapping) -> str:
    if mapping.format == "documents":
        return "Documents for continued pre-training"
    if mapping.format == "markdown_chat":
        return "Chat transcripts (markdown)"
    return FORMATS[mapping.format].title


def as_list(value: Any) -> Any:
    """CSV and some exports store lists as JSON text; accept them."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _turn_style(value: Any) -> str | None:
    value = as_list(value)
    if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
        return None
    keys = set().union(*(t.keys() for t in value))
    if {"role", "content"} <= keys:
        return "openai"
    if {"from", "value"} <= keys:
        return "sharegpt"
    return None


def sample_columns(sample: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for row in sample:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _first_value(sample: list[dict], column: str) -> Any:
    return next((row[column] for row in sample if row.get(column) not in (None, "", [])), None)


def _match(fmt: Format, by_lower: dict[str, str], sample: list[dict]) -> Mapping | None:
    columns: dict[str, str] = {}
    for slot, names in fmt.required.items():
        found = next((by_lower[name] for name in names if name in by_lower), None)
        if found is None:
            return None
        columns[slot] = found
    if len(set(columns.values())) < len(columns):
        return None
    # A column that only a few rows have does not define the dataset's shape.
    for column in columns.values():
        if sum(1 for row in sample if row.get(column) not in (None, "", [])) * 2 < len(sample):
            return None
    for slot, names in fmt.optional.items():
        found = next((by_lower[name] for name in names if name in by_lower and by_lower[name] not in columns.values()), None)
        if found is not None:
            columns[slot] = found
    # Content checks where the column names alone are not enough.
    if fmt.kind in ("chat", "tool_chat"):
        if _turn_style(_first_value(sample, columns["messages"])) != fmt.name.removesuffix("_tools"):
            return None
    if fmt.name == "kto_chat" and _turn_style(_first_value(sample, columns["messages"])) is None:
        return None
    if fmt.name == "sharegpt_preference" and _turn_style(_first_value(sample, columns["prompt"])) is None:
        return None
    if fmt.name in ("anthropic_hh", "implicit_preference"):
        chosen = as_list(_first_value(sample, columns["chosen"]))
        is_hh = isinstance(chosen, str) and "Assistant:" in chosen
        if (fmt.name == "anthropic_hh") != is_hh:
            return None
    return Mapping(fmt.name, columns)


def detect(sample: list[dict]) -> Detection:
    columns = sample_columns(sample)
    by_lower: dict[str, str] = {}
    for column in columns:
        by_lower.setdefault(column.strip().lower(), column)
    matches = [m for name in _PRIORITY if (m := _match(FORMATS[name], by_lower, sample))]
    # A format "covers" a weaker one when it reads all of its columns (kto covers prompt_completion).
    kept = [m for m in matches if not any(o is not m and set(m.columns.values()) < set(o.columns.values()) for o in matches)]
    if not kept:
        return Detection(None, [], columns, message=(
            f"could not recognise the columns ({', '.join(columns) or 'none'}). Choose a mapping: for example "
            "messages → a column of chat turns, or prompt → one column and completion → another"))
    chosen = max(kept, key=lambda m: (len(m.columns), -_PRIORITY.index(m.format)))
    others = [m for m in kept if m is not chosen]
    rivals = [m for m in others if m.kind != chosen.kind and not set(m.columns.values()) & set(chosen.columns.values())]
    message = ""
    if rivals:
        message = (f"read as {title_of(chosen)}; the file could also be read as "
                   + " or ".join(f"{title_of(r)} ({', '.join(r.columns.values())})" for r in rivals)
                   + ". Change the mapping if that is what you meant")
    return Detection(chosen, [chosen, *others], columns, ambiguous=bool(rivals), message=message)


def mapping_from_user(spec: dict, columns: list[str]) -> Mapping:
    """A user's mapping ({"format" or "kind", "columns": {slot: column}}), checked against the file."""
    if not spec.get("format") and spec.get("kind") and spec["kind"] not in DEFAULT_FORMAT_FOR_KIND:
        raise ValueError(f"no format reads {spec['kind']!r} rows; a dataset's kind is one of {', '.join(KINDS)}")
    fmt_name = spec.get("format") or DEFAULT_FORMAT_FOR_KIND.get(spec.get("kind", ""), "")
    if fmt_name in DOCUMENT_FORMATS:
        return Mapping(fmt_name, {})
    if fmt_name not in FORMATS:
        raise ValueError(f"unknown format {fmt_name!r}: use one of {', '.join(FORMATS)} (or a kind: {', '.join(KINDS)})")
    fmt = FORMATS[fmt_name]
    given = dict(spec.get("columns") or {})
    unknown_slots = set(given) - set(fmt.required) - set(fmt.optional)
    if unknown_slots:
        raise ValueError(f"{fmt_name} has no slot {sorted(unknown_slots)}; its slots are "
                         f"{', '.join([*fmt.required, *fmt.optional])}")
    by_lower = {c.lower(): c for c in columns}
    mapped: dict[str, str] = {}
    for slot in [*fmt.required, *fmt.optional]:
        column = given.get(slot)
        if column is None:  # not given: fall back to the usual column name, if the file has it
            names = fmt.required.get(slot) or fmt.optional.get(slot) or ()
            column = next((by_lower[name] for name in names if name in by_lower), None)
            if column is None:
                if slot in fmt.required:
                    raise ValueError(f"the {fmt_name} mapping needs a column for {slot!r} "
                                     f"(the file has: {', '.join(columns) or 'no columns'})")
                continue
        elif column not in columns:
            raise ValueError(f"column {column!r} (for {slot!r}) is not in the file; its columns are "
                             f"{', '.join(columns) or 'none'}")
        mapped[slot] = column
    return Mapping(fmt_name, mapped)
