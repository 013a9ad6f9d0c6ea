"""docs/permissions.md's "Every route" table, read the way the tests need it: `(METHOD, /api/path)` to
its least role and extra rules. Shared by the doc check and the route walk."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE|WS) (/api/\S+)` \| ([a-z ]+) \|(.*)\|\s*$")


@dataclass(frozen=True)
class Row:
    least: str  # a team role, "signed in" or "anyone"
    extra: str  # the "Extra rules" cell


def documented_rows() -> dict[tuple[str, str], Row]:
    rows = {}
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if match:
            rows[(match[1], match[2])] = Row(least=match[3].strip(), extra=match[4].strip())
    return rows


def documented() -> dict[tuple[str, str], str]:
    return {key: row.least for key, row in documented_rows().items()}
