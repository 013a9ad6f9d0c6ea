"""Chat rows from markdown/text transcripts, using the speaker labels the user configures.

participants = {"user": ["**Me:**", {"regex": r"^Q\\d*:"}], "assistant": ["**Bot:**"], "system": [...]}
A line starting with a plain string (after leading spaces), or matching a regex at its start, opens
a new turn for that role; the rest of the line and the following lines are the turn's content.
A `separator` pattern (same forms) ends one conversation and starts the next; without one, a file
is one conversation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import regex

ROLES = ("system", "user", "assistant")
_MAX_PATTERN = 200
_TIMEOUT_S = 0.05  # user regexes run with a time limit: a pathological pattern cannot hang the server


class PatternError(ValueError):
    pass


class ConversationTooLong(Exception):
    """A conversation (one row) longer than `max_chars`: reading stops instead of holding it whole."""

    def __init__(self, line: int, size: int) -> None:
        super().__init__(line, size)
        self.line = line
        self.size = size


@dataclass(frozen=True)
class _Pattern:
    role: str
    literal: str | None = None
    compiled: Any = None

    def match(self, line: str) -> str | None:
        """The turn's first-line content if this pattern opens a turn on `line`, else None."""
        if self.literal is not None:
            stripped = line.lstrip()
            return stripped[len(self.literal) :].strip() if stripped.startswith(self.literal) else None
        try:
            found = self.compiled.match(line[:1000], timeout=_TIMEOUT_S)
        except TimeoutError as exc:
            raise PatternError(f"the {self.role} pattern {self.compiled.pattern!r} takes too long to run") from exc
        return line[found.end() :].strip() if found else None


def _compile_one(role: str, spec: Any) -> _Pattern:
    if isinstance(spec, dict) and set(spec) == {"regex"}:
        source = spec["regex"]
        if not isinstance(source, str) or not source or len(source) > _MAX_PATTERN:
            raise PatternError(f"{role}: a regex must be 1 to {_MAX_PATTERN} characters")
        try:
            return _Pattern(role, compiled=regex.compile(source))
        except regex.error as exc:
            raise PatternError(f"{role}: {source!r} is not a valid regular expression ({exc})") from exc
    if isinstance(spec, str) and spec.strip() and len(spec) <= _MAX_PATTERN:
        return _Pattern(role, literal=spec.strip())
    raise PatternError(f'{role}: each pattern is a non-empty string or {{"regex": "..."}} (got {spec!r})')


def compile_participants(participants: dict[str, Iterable[Any]]) -> list[_Pattern]:
    unknown = set(participants) - set(ROLES)
    if unknown:
        raise PatternError(f"unknown roles {sorted(unknown)}: use system, user and assistant")
    if not participants.get("user") or not participants.get("assistant"):
        raise PatternError("give at least one pattern for the user and one for the assistant")
    patterns = [_compile_one(role, spec) for role in ROLES for spec in participants.get(role) or []]
    # Longer literals first, so "User (admin):" wins over "User".
    return sorted(patterns, key=lambda p: -(len(p.literal) if p.literal else 0))


def parse_transcript(
    lines: Iterable[str], participants: dict[str, Iterable[Any]], separator: Any = None, *, max_chars: int | None = None
) -> Iterator[tuple[int, list[dict], int]]:
    """Yields (first line number, messages, lines ignored before the first speaker) per conversation.
    A conversation over `max_chars` characters raises ConversationTooLong."""
    patterns = compile_participants(participants)
    split = _compile_one("separator", separator) if separator else None
    messages: list[dict] = []
    current: list[str] | None = None
    start_line, skipped, size = 0, 0, 0

    def close_turn() -> None:
        if current is not None:
            messages[-1]["content"] = "\n".join(current).strip()

    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if split is not None and split.match(line) is not None:
            close_turn()
            if messages:
                yield start_line, messages, skipped
            messages, current, skipped, size = [], None, 0, 0
            continue
        opened = next(((p.role, rest) for p in patterns if (rest := p.match(line)) is not None), None)
        if opened is not None:
            close_turn()
            if not messages:
                start_line = lineno
            messages.append({"role": opened[0], "content": ""})
            current = [opened[1]] if opened[1] else []
            size += len(line)
        elif current is not None:
            current.append(line)
            size += len(line) + 1
        elif line.strip():
            skipped += 1
        if max_chars is not None and size > max_chars:
            raise ConversationTooLong(start_line, size)
    close_turn()
    if messages:
        yield start_line, messages, skipped
