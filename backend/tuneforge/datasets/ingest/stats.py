"""Dataset statistics, accumulated row by row in bounded memory (counts and histograms, not rows)."""

from __future__ import annotations

from array import array
from collections import Counter
import json
from typing import Any

import numpy as np

# Upper bounds of the length histogram's bins (the last bin is open-ended).
BIN_EDGES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768]
_MAX_COVERAGE_COLUMNS = 100


def length_text(row: dict, kind: str, tokenizer: Any = None) -> str:
    """The text whose length counts for a row: through the chat template when the tokenizer has one."""
    def render(turns):
        if tokenizer is not None and getattr(tokenizer, "chat_template", None):
            return tokenizer.apply_chat_template(turns, tokenize=False)
        return "\n".join(f"{t['role']}: {t['content']}" for t in turns)

    def as_text(value):
        return render(value) if isinstance(value, list) else value

    if kind == "chat":
        return render(row["messages"])
    if kind == "tool_chat":
        from tuneforge.training.data import render_text  # tool calls and definitions count too

        if tokenizer is not None and getattr(tokenizer, "chat_template", None):
            try:
                return render_text(tokenizer, row["messages"], tools=row.get("tools"))
            except Exception:  # a template without tool support: count the JSON
                pass
        return json.dumps(row, ensure_ascii=False)
    if kind == "prompt_completion":
        return row["prompt"] + row["completion"]
    if kind == "preference":
        prompt = row["prompt"]
        if isinstance(prompt, list):
            longer = max(row["chosen"], row["rejected"], key=lambda side: sum(len(t["content"]) for t in side))
            return render(prompt + longer)
        return prompt + max(row["chosen"], row["rejected"], key=len)
    if kind == "unpaired_preference":
        prompt, completion = row["prompt"], row["completion"]
        if isinstance(prompt, list):
            return render(prompt + (completion if isinstance(completion, list) else [{"role": "assistant", "content": completion}]))
        return prompt + as_text(completion)
    if kind == "prompt":
        return as_text(row["prompt"])
    return row["text"]


class Stats:
    def __init__(self, kind: str | None, unit: str) -> None:
        self.kind = kind
        self.unit = unit  # "tokens" or "characters"
        self.rows = 0
        self.rows_with_errors = 0
        self.rows_with_warnings = 0
        self.coverage: Counter = Counter()
        self.columns: dict[str, None] = {}
        self.records_with_columns = 0
        self.turns: Counter = Counter()
        self.roles: Counter = Counter()
        self.rows_with_system = 0
        self.labels: Counter = Counter()
        self.lengths = array("I")
        self.over_limit = 0
        self.estimated_rows = 0
        self.exact_tokens = 0
        self.exact_characters = 0
        self.characters = 0
        self.sources: dict[str, dict] = {}
        self.duplicates = 0

    def add_source_row(self, file: str) -> None:
        top = file.split(":", 1)[0]
        self.sources.setdefault(top, {"name": top, "rows": 0})["rows"] += 1

    def add_raw(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        self.records_with_columns += 1
        for key, value in data.items():
            if key not in self.columns:
                if len(self.columns) >= _MAX_COVERAGE_COLUMNS:
                    continue
                self.columns[key] = None
            if value not in (None, "", [], {}):
                self.coverage[key] += 1

    def add_row(self, row: dict | None, *, errors: bool, warnings: bool) -> None:
        self.rows += 1
        self.rows_with_errors += errors
        self.rows_with_warnings += warnings
        if row is None:
            return
        if self.kind in ("chat", "tool_chat"):
            turns = row["messages"]
            self.turns[sum(1 for t in turns if t["role"] != "system")] += 1
            for turn in turns:
                self.roles[turn["role"]] += 1
            self.rows_with_system += any(t["role"] == "system" for t in turns)
        elif self.kind == "unpaired_preference":
            self.labels["desirable" if row["label"] else "undesirable"] += 1

    def add_length(self, length: int, characters: int, *, estimated: bool = False) -> None:
        self.lengths.append(length)
        self.characters += characters
        if estimated:
            self.estimated_rows += 1
        else:
            self.exact_tokens += length
            self.exact_characters += characters

    def to_dict(self, *, max_length: int | None, tokenizer_name: str | None) -> dict:
        lengths = np.frombuffer(self.lengths, dtype=np.uint32) if len(self.lengths) else np.zeros(0, dtype=np.uint32)
        edges = [0, *BIN_EDGES]
        counts = np.histogram(lengths, bins=[*edges, np.iinfo(np.uint64).max])[0] if len(lengths) else [0] * len(edges)
        histogram = [
            {"min": lo, "max": (edges[i + 1] - 1) if i + 1 < len(edges) else None, "rows": int(count)}
            for i, (lo, count) in enumerate(zip(edges, counts, strict=True))
        ]
        length = {
            "unit": self.unit,
            "tokenizer": tokenizer_name,
            "total": int(lengths.sum()) if len(lengths) else 0,
            "mean": round(float(lengths.mean()), 1) if len(lengths) else 0,
            "p50": int(np.percentile(lengths, 50)) if len(lengths) else 0,
            "p95": int(np.percentile(lengths, 95)) if len(lengths) else 0,
            "max": int(lengths.max()) if len(lengths) else 0,
            "max_length": max_length,
            "over_limit": self.over_limit,
            # Rows whose length was estimated from the exact rows' tokens per character (0: all exact).
            "estimated_rows": self.estimated_rows,
            "histogram": histogram,
        }
        stats: dict[str, Any] = {
            "rows": self.rows,
            "valid_rows": self.rows - self.rows_with_errors,
            "rows_with_errors": self.rows_with_errors,
            "rows_with_warnings": self.rows_with_warnings,
            "kind": self.kind,
            "duplicates": self.duplicates,
            "characters": self.characters,
            "length": length,
            "field_coverage": {
                column: round(self.coverage[column] / self.records_with_columns, 4) if self.records_with_columns else 0
                for column in self.columns
            },
            "sources": list(self.sources.values()),
        }
        if self.kind in ("chat", "tool_chat"):
            total = sum(self.turns.values())
            stats["turns"] = {
                "histogram": {str(k): v for k, v in sorted(self.turns.items())},
                "mean": round(sum(k * v for k, v in self.turns.items()) / total, 2) if total else 0,
            }
            stats["roles"] = dict(self.roles)
            stats["rows_with_system"] = self.rows_with_system
        if self.kind == "unpaired_preference":
            stats["labels"] = dict(self.labels)
        return stats


def find_duplicates(hashes: array) -> list[tuple[int, int]]:
    """(row, first row with the same content) for every repeat; rows are 1-based; hash 0 = not a row."""
    if not len(hashes):
        return []
    h = np.frombuffer(hashes, dtype=np.uint64)
    order = np.argsort(h, kind="stable")
    sorted_h = h[order]
    starts = np.ones(len(h), dtype=bool)
    starts[1:] = sorted_h[1:] != sorted_h[:-1]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(h)), 0))
    repeat = ~starts & (sorted_h != 0)
    rows = order[repeat] + 1
    firsts = order[group_start[repeat]] + 1
    by_row = np.argsort(rows)
    return list(zip(rows[by_row].tolist(), firsts[by_row].tolist(), strict=True))
