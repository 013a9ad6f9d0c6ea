"""Template placeholders left in the text of rows, such as identity data's `{{name}}` and `{{author}}`.

Such rows train the model to answer "I am {{name}}". Ingest warns about them (a `placeholder`
warning on each row, and one `placeholders` warning per placeholder: "42 rows contain the
placeholder {{name}}"); "Fill placeholders" (`fill_rows`) derives a version with values put in.
Only text is looked at and changed: message contents, prompt, completion, chosen, rejected, text;
never roles or labels.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, BinaryIO

from tuneforge.datasets.ingest.issues import Issue, IssueLog, Problem, n

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]{0,63})\s*\}\}")
MAX_NAMES = 50  # distinct placeholders reported per version
_NOT_TEXT = frozenset({"role", "label", "_invalid", "raw"})
FILL_HINT = ("Use 'Fill placeholders' to make a version with a value in place of each placeholder. "
             "If the braces are meant literally (template code), ignore this warning.")


def label(name: str) -> str:
    return "{{" + name + "}}"


def _texts(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_TEXT:
                yield from _texts(item)


def find(row: Any) -> list[str]:
    """The placeholder names in a canonical row's text, in order of first appearance."""
    names: dict[str, None] = {}
    for text in _texts(row):
        if "{{" in text:
            for match in PLACEHOLDER.finditer(text):
                names.setdefault(match.group(1), None)
    return list(names)


def row_problems(row: Any) -> list[Problem]:
    """A `placeholder` warning for a row that contains placeholders."""
    names = find(row)
    if not names:
        return []
    shown = [label(name) for name in names[:5]]
    what = (f"the placeholder {shown[0]}" if len(names) == 1
            else f"the placeholders {', '.join(shown[:-1])} and {shown[-1]}" if len(names) <= 5
            else f"{len(names)} placeholders ({', '.join(shown)}, …)")
    return [Problem("warning", "placeholder", f"contains {what}", FILL_HINT, names[0])]


def count(row: Any, counts: Counter) -> None:
    """Counts a row (kept in the version) once for each placeholder it contains."""
    for name in find(row):
        if name in counts or len(counts) < MAX_NAMES:
            counts[name] += 1


def add_summary(log: IssueLog, counts: Counter) -> None:
    """One dataset-level warning per placeholder: "42 rows contain the placeholder {{name}}"."""
    for name, rows in counts.most_common():
        log.add(Issue("warning", "placeholders",
                      f"{n(rows)} {'row contains' if rows == 1 else 'rows contain'} the placeholder {label(name)}",
                      FILL_HINT, field=name))


def fill_text(text: str, values: dict[str, str]) -> tuple[str, Counter]:
    replaced: Counter = Counter()

    def put(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        replaced[name] += 1
        return values[name]

    return (PLACEHOLDER.sub(put, text) if "{{" in text else text), replaced


def fill(value: Any, values: dict[str, str], replaced: Counter) -> Any:
    """A copy of a canonical row with each placeholder named in `values` replaced by its value."""
    if isinstance(value, str):
        text, found = fill_text(value, values)
        replaced.update(found)
        return text
    if isinstance(value, list):
        return [fill(item, values, replaced) for item in value]
    if isinstance(value, dict):
        return {key: item if key in _NOT_TEXT else fill(item, values, replaced) for key, item in value.items()}
    return value


def fill_rows(read: Callable[[], BinaryIO], out: BinaryIO, values: dict[str, str], dumps: Callable[[Any], bytes]) -> tuple[Counter, int]:
    """Copies canonical JSONL from `read()` to `out` with the placeholders filled; returns (replacements
    per placeholder, rows changed). Unreadable rows ({"_invalid": true}) are copied as they are."""
    replaced: Counter = Counter()
    changed = 0
    with read() as source:
        for line in source:
            if b"{{" not in line:
                out.write(line)
                continue
            row = json.loads(line)
            if isinstance(row, dict) and row.get("_invalid") is True:
                out.write(line)
                continue
            before = sum(replaced.values())
            filled = fill(row, values, replaced)
            if sum(replaced.values()) != before:
                changed += 1
                out.write(dumps(filled))
            else:
                out.write(line)
    return replaced, changed
