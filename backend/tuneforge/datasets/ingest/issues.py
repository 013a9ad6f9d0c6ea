"""Problems found in a dataset, each with where it is and what to do about it.

Messages follow one shape so people can scan them: "<where>: <what is wrong>", with the next
step in `hint`. Rows are counted from 1 across the whole upload; lines are lines of the file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A finding before it knows its location (normalisers and validators return these)."""

    severity: Severity
    code: str
    text: str
    hint: str = ""
    field: str | None = None


@dataclass(slots=True)
class Issue:
    severity: Severity
    code: str
    message: str
    hint: str = ""
    row: int | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def n(value: int) -> str:
    """Numbers as people write them: 5,371."""
    return f"{value:,}"


def short(value: object, limit: int = 60) -> str:
    """repr() for messages, cut so one odd value cannot flood the issue list."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def where_row(row: int, *, file: str | None = None, line: int | None = None, show_file: bool = False) -> str:
    text = f"row {n(row)}"
    if show_file and file:
        text += f" ({file}" + (f" line {n(line)})" if line else ")")
    elif line and line != row:
        text += f" (line {n(line)})"
    return text


def where_line(line: int, *, file: str | None = None, show_file: bool = False) -> str:
    return f"{file} line {n(line)}" if show_file and file else f"line {n(line)}"


@dataclass
class IssueLog:
    """Keeps every count but only the first `keep_per_code` issues of each kind (bounded memory)."""

    keep_per_code: int = 1000
    issues: list[Issue] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    severity_counts: Counter = field(default_factory=Counter)

    def add(self, issue: Issue) -> None:
        self.counts[issue.code] += 1
        self.severity_counts[issue.severity] += 1
        if self.counts[issue.code] <= self.keep_per_code:
            self.issues.append(issue)

    def file_issue(self, severity: Severity, code: str, file: str | None, text: str, hint: str = "") -> None:
        self.add(Issue(severity, code, f"{file}: {text}" if file else text, hint, file=file))

    @property
    def errors(self) -> int:
        return self.severity_counts["error"]

    @property
    def warnings(self) -> int:
        return self.severity_counts["warning"]

    def summary(self) -> dict:
        return {
            "errors": self.severity_counts["error"],
            "warnings": self.severity_counts["warning"],
            "infos": self.severity_counts["info"],
            "by_code": dict(self.counts),
            "truncated": any(c > self.keep_per_code for c in self.counts.values()),
        }
