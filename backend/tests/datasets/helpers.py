"""Builders for dataset fixture files (all made in code) and a one-call ingest for tests."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tuneforge.datasets.ingest import IngestOptions, Source, ingest


def jsonl(rows) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def chat(user: str, assistant: str, system: str | None = None) -> dict:
    turns = [{"role": "system", "content": system}] if system else []
    return {"messages": [*turns, {"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def run(tmp_path: Path, files: dict[str, bytes], *, mapping=None, **options):
    """Write `files`, ingest them; returns (report, canonical rows, canonical bytes)."""
    sources = []
    for index, (name, content) in enumerate(files.items()):
        path = tmp_path / f"upload-{index}"  # stored names never come from the user's file name
        path.write_bytes(content)
        sources.append(Source(name, path))
    out = io.BytesIO()
    report = ingest(sources, out, mapping=mapping, options=IngestOptions(**options))
    data = out.getvalue()
    return report, [json.loads(line) for line in data.decode().splitlines()], data


def messages_of(report) -> list[str]:
    return [i["message"] for i in report.issues]


def by_code(report, code: str) -> list[dict]:
    return [i for i in report.issues if i["code"] == code]
