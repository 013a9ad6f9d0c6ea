"""ingest(): sources -> canonical JSONL (one row per line) + a report (kind, stats, issues, sha256).

One streaming pass. Every source row becomes exactly one output line, in order, so "row N" is
line N of the canonical file. A row that cannot be expressed canonically is written as
{"_invalid": true, "raw": ...}: the version keeps it (nothing is lost) and is marked as having
errors; `drop_invalid` writes a clean version without such rows. Optionally, a second file gets
each row as it was uploaded (cut to SIDECAR_CHARS), line for line, for previews.

An upload over the reading limits (ReadOptions) raises LimitExceeded before a row is read; a row
over max_row_bytes becomes an invalid row with a `row_too_long` error.
"""

from __future__ import annotations

import hashlib
from collections import Counter
import json
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, BinaryIO

from tuneforge.datasets.ingest.detect import DOCUMENT_FORMATS, REFERENCE_SLOTS, Detection, Mapping, detect, mapping_from_user
from tuneforge.datasets.ingest.issues import Issue, IssueLog, Problem, n, where_line, where_row
from tuneforge.datasets.ingest.normalize import normalize
from tuneforge.datasets.ingest.readers import (
    RAW_PREVIEW_CHARS,
    ReadOptions,
    Record,
    Source,
    check_limits,
    read_source,
    row_too_long,
    source_category,
)
from tuneforge.datasets.ingest.stats import Stats, find_duplicates, length_text
from tuneforge.datasets.ingest.validate import validate
from tuneforge.datasets.ingest import placeholders
from tuneforge.training.data_kinds import DataKind

# How to re-read a canonical file of each kind (the slots are the canonical row keys).
CANONICAL_MAPPINGS: dict[str, Mapping] = {
    "chat": Mapping("openai", {"messages": "messages"}),
    "tool_chat": Mapping("openai_tools", {"messages": "messages", "tools": "tools"}),
    "prompt_completion": Mapping("prompt_completion", {"prompt": "prompt", "completion": "completion"}),
    "preference": Mapping("preference", {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}),
    "unpaired_preference": Mapping("kto", {"prompt": "prompt", "completion": "completion", "label": "label"}),
    "text": Mapping("text", {"text": "text"}),
    "prompt": Mapping("prompt_only", {"prompt": "prompt", **{slot: slot for slot in REFERENCE_SLOTS}}),
}
_BATCH = 512
_BATCH_CHARS = 1 << 20  # and at most about this many characters: the tokenizer's output is ~100 bytes a token
SIDECAR_CHARS = 64 * 1024  # the "as uploaded" copy of a row keeps at most this much of it


@dataclass
class IngestOptions(ReadOptions):
    tokenizer: Any = None  # any Hugging Face tokenizer; lengths are characters without one
    tokenizer_name: str | None = None
    max_length: int | None = None  # rows longer than this many tokens are reported
    # Tokenising is what costs (~1 M tokens per CPU-second). Rows after this many get a length estimated
    # from the exact rows' tokens-per-character, except rows that could be over max_length: those are
    # always tokenised, so the over-limit count stays exact. None: every row exactly.
    exact_token_rows: int | None = None
    keep_issues_per_code: int = 1000
    sample_rows: int = 200
    # Filters, used when deriving a version from another one:
    drop_invalid: bool = False
    drop_duplicates: bool = False
    drop_over_length: bool = False
    max_rows: int | None = None  # read only the first this many rows (records) of the sources; None: all


@dataclass
class IngestReport:
    kind: DataKind | None
    mapping: dict | None
    detection: dict
    stats: dict
    issues: list[dict]
    summary: dict
    sha256: str
    rows: int
    dropped: dict = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return self.summary["errors"] == 0 and self.rows > 0

    def to_dict(self) -> dict:
        return {"kind": self.kind, "mapping": self.mapping, "detection": self.detection, "stats": self.stats,
                "issues": self.issues, "summary": self.summary, "sha256": self.sha256, "rows": self.rows,
                "dropped": self.dropped, "usable": self.usable}


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(row: Any) -> bytes:
    """The one serialisation of a canonical row (the version's sha256 depends on it)."""
    return (_ENCODER.encode(row) + "\n").encode("utf-8")


def _hash64(line: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(line, digest_size=8).digest(), "little") or 1


class _Run:
    """State of one ingest pass."""

    def __init__(self, options: IngestOptions, out: BinaryIO, show_file: bool, raw_out: BinaryIO | None = None) -> None:
        self.options = options
        self.out = out
        self.raw_out = raw_out
        self.show_file = show_file
        self.log = IssueLog(options.keep_issues_per_code)
        self.sha = hashlib.sha256()
        self.hashes = array("Q")
        self.seen: set[int] = set()
        self.pending: list[tuple[int, str, int]] = []
        self.pending_chars = 0
        self.tokens_per_char: float | None = None
        self.written = 0
        self.dropped = {"invalid": 0, "duplicates": 0, "over_length": 0}
        self.stats: Stats | None = None
        self.placeholders: Counter = Counter()  # rows per template placeholder ({{name}}) left in the text

    def issue(self, problem: Problem, record: Record, row: int) -> None:
        if problem.code == "invalid_json" and record.line:
            place = where_line(record.line, file=record.file, show_file=self.show_file)
        else:
            place = where_row(row, file=record.file, line=record.line, show_file=self.show_file)
        self.log.add(Issue(problem.severity, problem.code, f"{place}: {problem.text}", problem.hint, row=row,
                           file=record.file, line=record.line,
                           column=record.column if problem.code == "invalid_json" else None, field=problem.field))

    def write(self, line: bytes, content_hash: int, raw: bytes | None = None) -> None:
        self.out.write(line)
        if self.raw_out is not None:
            self.raw_out.write(raw or b"null\n")
        self.sha.update(line)
        self.hashes.append(content_hash)
        self.written += 1


def _iter_records(sources: list[Source], options: ReadOptions, log: IssueLog) -> Iterator[Record]:
    for source in sources:
        yield from read_source(source, options, log)


def ingest(
    sources: list[Source], out: BinaryIO, *, mapping: dict | Mapping | None = None, options: IngestOptions | None = None,
    raw_out: BinaryIO | None = None,
) -> IngestReport:
    """Read `sources`, write canonical JSONL to `out` (and each row as uploaded to `raw_out`), return the
    report. Raises ValueError for a bad mapping, LimitExceeded for an upload over the reading limits."""
    options = options or IngestOptions()
    categories = {source_category(s.name) for s in sources}
    show_file = len(sources) > 1 or any(s.name.lower().endswith(".zip") for s in sources)
    run = _Run(options, out, show_file, raw_out)
    records = _iter_records(sources, options, run.log)
    if {"records", "documents"} <= categories:
        run.log.file_issue("error", "mixed_sources", None,
                           "this upload mixes documents (.txt, .md, .zip) with row files (.jsonl, .json, .csv, .parquet)",
                           "Upload documents and row files as separate datasets.")
        records = iter(())
    else:
        check_limits(sources, options)

    # Detect from a sample, then process the sample and the rest in one stream.
    sample: list[Record] = []
    for record in records:
        sample.append(record)
        if sum(1 for r in sample if isinstance(r.data, dict)) >= options.sample_rows or len(sample) >= 5 * options.sample_rows:
            break
    sample_dicts = [r.data for r in sample if isinstance(r.data, dict) and "_invalid" not in r.data]
    resolved, detection = _resolve_mapping(mapping, sample_dicts, categories, options)
    if resolved is None and sample_dicts:
        run.log.file_issue("error", "unrecognised_format", None, detection.message,
                           "Open 'Column mapping' and say which columns hold the conversation, or the prompt and answer.")
    elif detection.ambiguous:
        run.log.file_issue("warning", "ambiguous_format", None, detection.message,
                           "Check the preview; change the column mapping if the detection is wrong.")
    kind = resolved.kind if resolved else None
    run.stats = Stats(kind, "tokens" if options.tokenizer is not None else "characters")

    for row_number, record in enumerate(islice(chain(sample, records), options.max_rows), 1):
        _process(run, row_number, record, resolved, kind)
    _flush_lengths(run, kind)

    for row, first in find_duplicates(run.hashes):
        run.stats.duplicates += 1
        run.log.add(Issue("warning", "duplicate", f"{where_row(row)}: identical to row {n(first)}",
                          "Duplicates weigh those examples double. Drop duplicates unless that is intended.", row=row))
    placeholders.add_summary(run.log, run.placeholders)
    if run.written == 0 and not run.log.errors:
        run.log.file_issue("error", "no_rows", None, "no rows were found", "Check that the file has data rows.")
    return IngestReport(
        kind=kind,
        mapping=resolved.to_dict() if resolved else None,
        detection=detection.to_dict(),
        stats={**run.stats.to_dict(max_length=options.max_length, tokenizer_name=options.tokenizer_name),
               **({"placeholders": dict(run.placeholders.most_common())} if run.placeholders else {})},
        issues=[i.to_dict() for i in run.log.issues],
        summary=run.log.summary(),
        sha256=run.sha.hexdigest(),
        rows=run.written,
        dropped={k: v for k, v in run.dropped.items() if v},
    )


def _resolve_mapping(mapping, sample_dicts, categories, options) -> tuple[Mapping | None, Detection]:
    if categories == {"documents"}:
        chosen = (Mapping("markdown_chat", {"messages": "messages"}) if options.participants
                  else Mapping("documents", {"text": "text"}))
        return chosen, Detection(chosen, [chosen], [])
    if isinstance(mapping, Mapping):
        return mapping, Detection(mapping, [mapping], [])
    detection = detect(sample_dicts)
    if mapping:
        if mapping.get("format") in DOCUMENT_FORMATS:
            raise ValueError("documents and transcripts are detected from .txt/.md/.zip files, not set by mapping")
        user = mapping_from_user(mapping, detection.columns)
        detection.mapping, detection.ambiguous, detection.message = user, False, ""
        return user, detection
    return detection.mapping, detection


def _process(run: _Run, row_number: int, record: Record, mapping: Mapping | None, kind: str | None) -> None:
    options, stats = run.options, run.stats
    stats.add_source_row(record.file)
    row = None
    problems: list[Problem] = []
    if record.problem is not None:
        problems = [record.problem]
    elif isinstance(record.data, dict) and record.data.get("_invalid") is True:
        problems = [Problem("error", "unreadable_row", "this row could not be read when the file was uploaded",
                            "Use 'Drop invalid rows', or fix the original file and upload it again.")]
    elif mapping is not None:
        stats.add_raw(record.data)
        row, problems = normalize(record.data, mapping)
        if row is not None:
            problems += validate(row, kind) + placeholders.row_problems(row)
    errors = row is None or any(p.severity == "error" for p in problems)
    out_row = row if row is not None else {"_invalid": True, "raw": record.raw_text if record.data is None else record.data}
    line = dumps(out_row)
    if len(line) > options.max_row_bytes:  # whatever the reader: no stored row is over the limit
        problems = [row_too_long(len(line), options.max_row_bytes)]
        row, errors = None, True
        line = dumps({"_invalid": True, "raw": _cut(line[:RAW_PREVIEW_CHARS * 4].decode("utf-8", "ignore"), RAW_PREVIEW_CHARS)})
    if errors and options.drop_invalid:
        run.dropped["invalid"] += 1
        return
    content_hash = _hash64(line) if row is not None else 0
    if options.drop_duplicates and row is not None:
        if content_hash in run.seen:
            run.dropped["duplicates"] += 1
            return
        run.seen.add(content_hash)
    if options.drop_over_length and row is not None and options.tokenizer is not None and options.max_length:
        if _token_length(options.tokenizer, length_text(row, kind, options.tokenizer)) > options.max_length:
            run.dropped["over_length"] += 1
            return
    out_number = run.written + 1
    for problem in problems:
        run.issue(problem, record, out_number)
        if problem.code == "placeholder":
            placeholders.count(row, run.placeholders)
    stats.add_row(row, errors=errors, warnings=any(p.severity == "warning" for p in problems))
    run.write(line, content_hash, _as_uploaded(record, row, line) if run.raw_out is not None else None)
    if row is not None:
        _add_length(run, out_number, row, kind, record)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… (cut: {len(text):,} characters in all)"


def _as_uploaded(record: Record, row: dict | None, line: bytes) -> bytes:
    """The row as it was read from the upload (the parsed source row, or the text of an unreadable
    one), one JSON line, cut to SIDECAR_CHARS: previews show it without reading the upload again."""
    raw = record.data if record.data is not None else record.raw_text
    if raw is not None and raw == row and len(line) <= SIDECAR_CHARS:
        return line  # already canonical (documents, canonical chat): the same bytes
    encoded = _ENCODER.encode(raw)
    if len(encoded) > SIDECAR_CHARS:
        encoded = _ENCODER.encode(_cut(encoded if not isinstance(raw, str) else raw, SIDECAR_CHARS))
    return (encoded + "\n").encode("utf-8")


def _contents(value: Any) -> list[str]:
    """The text fields of a canonical row (message contents, prompt, completion, ...)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t.get("content") or "" for t in value]
    if isinstance(value, dict):
        return [text for key, item in value.items() if key != "label" for text in _contents(item)]
    return []


# Upper bounds on what a chat template adds around the contents, in tokens: role headers and end
# markers (~5 per turn for ChatML, Llama 3, Gemma) and default system prompts some templates inject.
_TEMPLATE_TOKENS_PER_TURN = 32
_TEMPLATE_TOKENS_FIXED = 128


def _token_length(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _add_length(run: _Run, row_number: int, row: dict, kind: str, record: Record) -> None:
    tokenizer = run.options.tokenizer
    contents = _contents(row)
    characters = sum(map(len, contents))
    if tokenizer is None:
        run.stats.add_length(characters, characters)
        return
    exact_rows, limit = run.options.exact_token_rows, run.options.max_length
    if exact_rows is not None and row_number > exact_rows:
        # Past the exact budget, estimate from the exact rows' tokens per character, unless the row
        # could be over the limit: byte-level BPE makes at most one token per byte, so contents' bytes
        # plus the template's own tokens bound the row's length.
        bound = sum(len(c.encode("utf-8")) for c in contents) + _TEMPLATE_TOKENS_PER_TURN * len(contents) + _TEMPLATE_TOKENS_FIXED
        if not limit or bound <= limit:
            if run.tokens_per_char is None:
                _flush_lengths(run, kind)
                stats = run.stats
                run.tokens_per_char = stats.exact_tokens / stats.exact_characters if stats.exact_characters else 0.25
            run.stats.add_length(round(characters * run.tokens_per_char), characters, estimated=True)
            return
    try:
        text = length_text(row, kind, tokenizer)
    except Exception as exc:  # a chat template may refuse a conversation (e.g. "System role not supported")
        run.issue(Problem("warning", "template_refused", f"the model's chat template refuses this row ({exc})",
                          "Pick a base model whose template supports this conversation, or change the row."),
                  record, row_number)
        text = length_text(row, kind, None)
    run.pending.append((row_number, text, characters))
    run.pending_chars += len(text)
    if len(run.pending) >= _BATCH or run.pending_chars >= _BATCH_CHARS:
        _flush_lengths(run, kind)


def _flush_lengths(run: _Run, kind: str | None) -> None:
    if not run.pending:
        return
    tokenizer, limit = run.options.tokenizer, run.options.max_length
    texts = [text for _, text, _ in run.pending]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    for (row_number, _, characters), length in zip(run.pending, lengths, strict=True):
        run.stats.add_length(length, characters)
        if limit and length > limit:
            run.stats.over_limit += 1
            run.log.add(Issue("warning", "too_long",
                              f"{where_row(row_number)}: {n(length)} tokens, longer than the {n(limit)}-token limit",
                              "It will be cut at the limit during training. Shorten it, raise the max length, "
                              "or drop rows over the limit.", row=row_number))
    run.pending.clear()
    run.pending_chars = 0


def ingest_canonical(path, out: BinaryIO, *, kind: DataKind, options: IngestOptions | None = None) -> IngestReport:
    """Re-read a canonical file (to derive a version: drop invalid rows, duplicates, long rows)."""
    return ingest([Source("rows.jsonl", path)], out, mapping=CANONICAL_MAPPINGS[kind], options=options)
