"""Streaming readers: each yields one `Record` per row of the source, never the whole file.

File names are labels only: readers open the `path` they are given (a storage path) and the
members of a zip are read through `zipfile`, never extracted to the filesystem.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import struct
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from tuneforge.datasets.ingest.encoding import EncodingRefused, TextEncoding, sniff_encoding
from tuneforge.datasets.ingest.issues import IssueLog, Problem, n

RECORD_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet"}
DOCUMENT_SUFFIXES = {".txt", ".md", ".markdown"}
ZIP_SUFFIXES = {".zip"}
SUPPORTED = ".jsonl, .json, .csv, .tsv, .parquet, .txt, .md and .zip (of .txt/.md files)"
_JSON_REPARSE_LIMIT = 64 << 20  # below this, a broken .json is re-read whole to locate the error exactly


@dataclass(frozen=True)
class Source:
    name: str  # what the user called the file: shown in messages, never opened
    path: Path  # where TuneForge stored it


@dataclass
class ReadOptions:
    allow_transcode: bool = True
    chunk_chars: int = 6000  # documents are cut into rows of at most this many characters (0 = whole)
    participants: dict[str, list] | None = None  # markdown transcripts -> chat rows (see markdown_chat)
    conversation_separator: Any = None
    # Bounds on reading (the API sets them from TUNEFORGE_DATASET_*; docs/security.md, "Hostile dataset
    # files"). An upload over the first four is refused whole, before a row is read (LimitExceeded).
    max_expanded_bytes: int = 2 << 30  # what the zips' documents and the Parquet data of one upload decode to
    max_zip_members: int = 100_000  # files inside the zips of one upload, together
    max_zip_ratio: int = 100  # a zip member over 1 MiB may expand at most this many times its compressed size
    max_row_group_bytes: int = 128 << 20  # one Parquet row group, decoded
    max_row_bytes: int = 16 << 20  # one row (line, CSV record, JSON item, whole document, conversation)


class LimitExceeded(Exception):
    """The upload is over one of the reading limits: refused whole, with what to do, before any row is read."""


RAW_PREVIEW_CHARS = 4000  # an unreadable or over-long row keeps at most this much of its text
_FRAGMENT = 1 << 20  # text is read in lines of at most this many characters (longer lines in pieces)
_ZIP_RATIO_FLOOR = 1 << 20  # members smaller than this are never refused for their compression ratio


@dataclass(slots=True)
class Record:
    data: Any  # the parsed row (a dict for well-formed sources); None when it could not be read
    file: str
    line: int | None = None
    problem: Problem | None = None  # set when the row could not be read
    raw_text: str | None = None  # the original text of an unreadable row, kept so nothing is lost
    column: int | None = None


def source_category(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in RECORD_SUFFIXES:
        return "records"
    if suffix in DOCUMENT_SUFFIXES or suffix in ZIP_SUFFIXES:
        return "documents"
    return "unsupported"


def read_source(source: Source, options: ReadOptions, log: IssueLog) -> Iterator[Record]:
    suffix = Path(source.name).suffix.lower()
    opener = lambda: open(source.path, "rb")  # noqa: E731
    try:
        if suffix == ".parquet":
            yield from read_parquet(source.path, source.name, log)
            return
        if suffix in ZIP_SUFFIXES:
            yield from read_zip(source.path, source.name, options, log)
            return
        if suffix not in RECORD_SUFFIXES | DOCUMENT_SUFFIXES:
            log.file_issue(
                "error", "unsupported_file", source.name,
                f"TuneForge cannot read {suffix or 'files without an extension'}",
                f"Upload {SUPPORTED}. Spreadsheets: export as CSV.",
            )
            return
        encoding = _encoding_or_log(opener, source.name, options, log)
        if encoding is None:
            return
        cap = options.max_row_bytes
        if suffix in (".jsonl", ".ndjson"):
            yield from read_jsonl(opener, source.name, encoding, cap)
        elif suffix == ".json":
            yield from read_json(opener, source.name, encoding, log, cap)
        elif suffix in (".csv", ".tsv"):
            yield from read_csv(opener, source.name, encoding, delimiter="\t" if suffix == ".tsv" else ",", log=log,
                                cap=cap)
        else:
            yield from read_document(opener, source.name, encoding, options, log)
    except OSError as exc:
        log.file_issue("error", "unreadable_file", source.name, f"could not be read ({exc.strerror or exc})",
                       "Upload the file again.")


def _encoding_or_log(opener, name: str, options: ReadOptions, log: IssueLog) -> TextEncoding | None:
    try:
        encoding = sniff_encoding(opener, allow_transcode=options.allow_transcode)
    except EncodingRefused as exc:
        log.file_issue("error", "encoding_refused", name, exc.reason, exc.hint)
        return None
    if encoding.transcoded:
        log.file_issue(
            "warning", "transcoded", name,
            f"the file is not UTF-8; it was read as {encoding.label} and converted to UTF-8",
            "Check accented letters and symbols in the preview. If they look wrong, save the file as UTF-8 "
            "and upload it again.",
        )
    return encoding


def _text(opener: Callable[[], BinaryIO], encoding: TextEncoding, newline: str | None = None) -> io.TextIOWrapper:
    return io.TextIOWrapper(opener(), encoding=encoding.codec, newline=newline)


# --- JSON Lines -------------------------------------------------------------------------------------


def json_error_problem(exc: json.JSONDecodeError, text: str, *, what: str = "JSON") -> tuple[Problem, int]:
    """'not valid JSON (unexpected ',' at column 88)' plus the parser's own words as the hint."""
    line_text = text.splitlines()[exc.lineno - 1] if text else ""
    pos_in_line = exc.colno - 1
    if pos_in_line >= len(line_text.rstrip()):
        detail = f"the line ends too early, at column {exc.colno}"
    else:
        detail = f"unexpected {line_text[pos_in_line]!r} at column {exc.colno}"
    hint = f"The JSON parser says: {exc.msg}."
    if line_text[pos_in_line : pos_in_line + 1] == "'":
        hint += " JSON needs double quotes around keys and strings."
    hint += " Fix this line in the file, or use 'Drop invalid rows' to make a version without it."
    return Problem("error", "invalid_json", f"not valid {what} ({detail})", hint), exc.colno


def row_too_long(size: int, cap: int, *, more: bool = False, rest: bool = False, hint: str = "") -> Problem:
    """The error of a row over max_row_bytes (`more`: its size is only known to exceed `size`)."""
    text = (f"this row is {'more than ' if more else ''}{_size(size)}, over the {_size(cap)} limit for one row, "
            f"so it{' and the rest of the file' if rest else ''} was not read")
    return Problem("error", "row_too_long", text,
                   (hint + " " if hint else "") + "Split it into smaller rows, or ask an admin to raise "
                   "TUNEFORGE_DATASET_MAX_ROW_BYTES.")


def _bounded_lines(stream, cap: int, newline) -> Iterator[tuple[Any, int | None]]:
    """(line, None) for lines of at most `cap` bytes/characters (newline included), and (its first
    RAW_PREVIEW_CHARS, full length) for longer ones, which are skipped in pieces, never held whole."""
    while True:
        line = stream.readline(cap + 1)
        if not line:
            return
        if len(line) <= cap or line.endswith(newline):
            yield line, None
            continue
        prefix, total = line[:RAW_PREVIEW_CHARS], len(line)
        while line and not line.endswith(newline):
            line = stream.readline(_FRAGMENT)
            total += len(line)
        yield prefix, total


def read_jsonl(opener, name: str, encoding: TextEncoding, cap: int = ReadOptions.max_row_bytes) -> Iterator[Record]:
    if encoding.codec in ("utf-8", "utf-8-sig"):
        yield from _read_jsonl_utf8(opener, name, cap)
        return
    with _text(opener, encoding) as text:
        for lineno, (line, over) in enumerate(_bounded_lines(text, cap, "\n"), 1):
            if over is not None:
                yield Record(None, name, lineno, row_too_long(over, cap), raw_text=line)
                continue
            if not line.strip():
                continue
            line = line.rstrip("\r\n")
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                problem, column = json_error_problem(exc, line)
                yield Record(None, name, lineno, problem, raw_text=line, column=column)
                continue
            yield Record(data, name, lineno)


def _read_jsonl_utf8(opener, name: str, cap: int) -> Iterator[Record]:
    """The fast path: bytes lines straight into json.loads (the file was already checked to be UTF-8)."""
    with opener() as raw:
        for lineno, (line, over) in enumerate(_bounded_lines(raw, cap, b"\n"), 1):
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if over is not None:
                yield Record(None, name, lineno, row_too_long(over, cap), raw_text=line.decode("utf-8", "replace"))
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                if not line.strip():
                    continue
                text = line.decode("utf-8").rstrip("\r\n")
                try:
                    json.loads(text)
                except json.JSONDecodeError as exc:
                    problem, column = json_error_problem(exc, text)
                    yield Record(None, name, lineno, problem, raw_text=text, column=column)
                continue
            yield Record(data, name, lineno)


# --- JSON (an array, or an object holding one list) -------------------------------------------------


class _ItemTooLong(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class _Utf8Bytes:
    """Feeds ijson UTF-8 bytes whatever the file's encoding was, counting them: once more than `cap`
    bytes (plus one read-ahead buffer) pass without `mark` moving on (one row, or one skipped value),
    reading stops with _ItemTooLong, so no single value is ever held whole past the row limit."""

    def __init__(self, text: io.TextIOBase, cap: int | None = None) -> None:
        self._text = text
        self.cap = cap
        self.position = 0
        self.mark: int | None = None

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes with read(0) to tell bytes from text
            return b""
        data = self._text.read(size if size > 0 else 1 << 16).encode("utf-8")
        self.position += len(data)
        if self.cap is not None and self.mark is not None and self.position - self.mark > self.cap + (1 << 16):
            raise _ItemTooLong(self.position - self.mark)
        return data

    def start_item(self) -> None:
        self.mark = self.position


def read_json(opener, name: str, encoding: TextEncoding, log: IssueLog,
              cap: int = ReadOptions.max_row_bytes) -> Iterator[Record]:
    try:
        yield from _read_json(opener, name, encoding, log, cap)
    except _ItemTooLong as exc:
        yield Record(None, name, None, row_too_long(exc.size, cap, more=True, rest=True))


def _read_json(opener, name: str, encoding: TextEncoding, log: IssueLog, cap: int) -> Iterator[Record]:
    import ijson

    produced = 0
    with _text(opener, encoding) as text:
        reader = _Utf8Bytes(text, cap)
        reader.start_item()
        events = ijson.parse(reader, use_float=True)
        try:
            first = next(events, None)
            if first is None:
                log.file_issue("error", "empty_file", name, "the file is empty", "Upload a file with rows in it.")
                return
            _, event, _ = first
            if event == "start_array":
                for data in _array_items(events, "item", reader):
                    produced += 1
                    yield Record(data, name)
                return
            if event != "start_map":
                log.file_issue(
                    "error", "json_shape", name, "the file holds a single value, not a list of rows",
                    'Use an array of objects ([{...}, {...}]) or an object with one list ({"data": [...]}).',
                )
                return
            lists: list[str] = []
            for prefix, event, value in events:
                reader.start_item()  # values beside the list are not kept, but no one token may pass the limit
                if prefix == "" and event == "map_key":
                    key = value
                    prefix, event, value = next(events)
                    if event == "start_array":
                        lists.append(key)
                        if len(lists) == 1:
                            for data in _array_items(events, f"{key}.item", reader):
                                produced += 1
                                yield Record(data, name)
                        else:
                            _skip(events, event, reader)
                    elif event in ("start_map",):
                        _skip(events, event, reader)
            if not lists:
                log.file_issue(
                    "error", "json_shape", name, "the JSON object holds no list of rows",
                    'Use an array of objects ([{...}, {...}]) or an object with one list ({"data": [...]}).',
                )
            elif len(lists) > 1:
                log.file_issue(
                    "warning", "json_several_lists", name,
                    f"the JSON object holds {len(lists)} lists ({', '.join(repr(k) for k in lists)}); "
                    f"only {lists[0]!r} was read",
                    "Upload each list as its own file if you need the others.",
                )
        except ijson.JSONError as exc:
            # The C parser reads ahead and fails before handing out the rows just before the error;
            # the pure-Python one does not, so re-read with it to keep every row up to the error.
            yield from _rows_before_error(opener, name, encoding, produced, cap)
            yield _broken_json_record(opener, name, encoding, produced, exc)


def _rows_before_error(opener, name, encoding, already: int, cap: int) -> Iterator[Record]:
    import ijson

    backend = ijson.get_backend("python")
    with _text(opener, encoding) as text:
        reader = _Utf8Bytes(text, cap)
        events = backend.parse(reader, use_float=True)
        index = 0
        try:
            _, event, _ = next(events)
            if event == "start_array":
                prefix = "item"
            else:
                prefix = None
                for key_prefix, key_event, value in events:
                    if key_prefix == "" and key_event == "map_key":
                        _, inner, _ = next(events)
                        if inner == "start_array":
                            prefix = f"{value}.item"
                            break
                        if inner == "start_map":
                            _skip(events, inner, reader)
                if prefix is None:
                    return
            for data in _array_items(events, prefix, reader):
                index += 1
                if index > already:
                    yield Record(data, name)
        except ijson.JSONError:
            return


def _broken_json_record(opener, name, encoding, produced, exc) -> Record:
    with opener() as handle:
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
    if size <= _JSON_REPARSE_LIMIT:
        with _text(opener, encoding) as text:
            whole = text.read()
        try:
            json.loads(whole)
        except json.JSONDecodeError as decode_error:
            problem, column = json_error_problem(decode_error, whole)
            hint = problem.hint.replace(
                "or use 'Drop invalid rows' to make a version without it",
                f"and upload it again: nothing after this point could be read ({n(produced)} rows before it were)",
            )
            problem = Problem("error", "invalid_json", problem.text, hint)
            return Record(None, name, decode_error.lineno, problem, raw_text=None, column=column)
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    problem = Problem(
        "error", "invalid_json", f"not valid JSON after row {n(produced)} ({detail})",
        "Fix the file and upload it again: nothing after this point could be read.",
    )
    return Record(None, name, None, problem)


def _array_items(events, item_prefix: str, reader: _Utf8Bytes | None = None) -> Iterator[Any]:
    import ijson

    parent = item_prefix.rsplit(".", 1)[0] if "." in item_prefix else ""
    if reader is not None:
        reader.start_item()
    for prefix, event, value in events:
        if prefix == parent and event == "end_array":
            return
        if event in ("start_map", "start_array"):
            builder = ijson.ObjectBuilder()
            builder.event(event, value)
            depth = 1
            for _, inner_event, inner_value in events:
                builder.event(inner_event, inner_value)
                if inner_event in ("start_map", "start_array"):
                    depth += 1
                elif inner_event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        break
            yield builder.value
        else:
            yield value
        if reader is not None:
            reader.start_item()


def _skip(events, start_event: str, reader: _Utf8Bytes | None = None) -> None:
    depth = 1
    for _, event, _ in events:
        if reader is not None:
            reader.start_item()  # skipped values are not kept; only one token at a time is bounded
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return


# --- CSV / TSV ----------------------------------------------------------------------------------------

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _header_delimiter(opener, encoding: TextEncoding) -> str | None:
    """Spreadsheets in many locales export "CSV" with semicolons; read the header line to tell."""
    with _text(opener, encoding, newline="") as text:
        header = text.readline(1 << 16)
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] and counts[","] == 0 else None


class _CsvLines:
    """The lines csv.reader pulls, counted per record (`start_record` resets the count): a record
    over `cap` characters (often a quote that is never closed) raises _ItemTooLong instead of being
    held whole."""

    def __init__(self, text: io.TextIOBase, cap: int) -> None:
        self._text = text
        self._cap = cap
        self._record = 0

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(self._cap + 1)
        if not line:
            raise StopIteration
        self._record += len(line)
        if self._record > self._cap:
            raise _ItemTooLong(self._record)
        return line

    def start_record(self) -> None:
        self._record = 0


def read_csv(opener, name: str, encoding: TextEncoding, *, delimiter: str, log: IssueLog,
             cap: int = ReadOptions.max_row_bytes) -> Iterator[Record]:
    if delimiter == ",":
        sniffed = _header_delimiter(opener, encoding)
        if sniffed and sniffed != ",":
            label = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}[sniffed]
            log.file_issue("info", "csv_separator", name, f"the columns are separated by {label}, not commas; "
                           "read that way")
            delimiter = sniffed
    with _text(opener, encoding, newline="") as text:
        lines = _CsvLines(text, cap)
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            header = next(reader, None)
        except _ItemTooLong as exc:
            yield Record(None, name, 1, row_too_long(exc.size, cap, more=True, rest=True))
            return
        except csv.Error as exc:
            log.file_issue("error", "invalid_csv", name, f"the header line could not be read ({exc})",
                           "Check the file is comma- (or tab-) separated text.")
            return
        if header is None:
            log.file_issue("error", "empty_file", name, "the file is empty", "Upload a file with a header line and rows.")
            return
        columns = [(h.strip() or f"column_{i + 1}") for i, h in enumerate(header)]
        last_line = reader.line_num
        while True:
            start_line = last_line + 1
            lines.start_record()
            try:
                values = next(reader)
            except StopIteration:
                return
            except _ItemTooLong as exc:
                yield Record(None, name, start_line, row_too_long(
                    exc.size, cap, more=True, rest=True,
                    hint="Check the quotes on this line: a quote that is never closed makes the rest of the file one value."))
                return
            except csv.Error as exc:
                problem = Problem("error", "invalid_csv", f"not valid CSV ({exc})",
                                  "Check the quotes on this line: a field with commas or line breaks must be "
                                  "wrapped in double quotes, and quotes inside it doubled.")
                yield Record(None, name, start_line, problem)
                return
            last_line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(columns):
                problem = Problem(
                    "error", "csv_field_count",
                    f"has {len(values)} values but the header has {len(columns)} columns",
                    "A value probably contains the separator without quotes around it. Quote it, or fix the row.",
                )
                yield Record(None, name, start_line, problem, raw_text=delimiter.join(values))
                continue
            yield Record(dict(zip(columns, values, strict=False)), name, start_line)


# --- Parquet ------------------------------------------------------------------------------------------


_PARQUET_WIDTHS = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "INT96": 12, "FLOAT": 4, "DOUBLE": 8, "BYTE_ARRAY": 4}


def _row_group_declared(metadata, group: int) -> int:
    """What the file's metadata says row group `group` takes decoded: the larger of its uncompressed
    size and its values times their fixed width (a run-length-encoded column of millions of zeros
    takes a few bytes in the file and 8 bytes a value decoded)."""
    meta = metadata.row_group(group)
    uncompressed, fixed = meta.total_byte_size, 0
    columns = 0
    for index in range(meta.num_columns):
        column = meta.column(index)
        columns += column.total_uncompressed_size
        width = _PARQUET_WIDTHS.get(column.physical_type)
        if width is None:  # FIXED_LEN_BYTE_ARRAY
            width = max(1, metadata.schema.column(index).length or 1)
        fixed += column.num_values * width
    return max(uncompressed, columns, fixed)


def _row_group_refused(name: str, group: int, size: int, cap: int, *, more: bool = False) -> LimitExceeded:
    return LimitExceeded(
        f"{name}: row group {n(group + 1)} decodes to {'more than ' if more else ''}{_size(size)}, over the "
        f"{_size(cap)} limit for one Parquet row group, so nothing was read. Write the file with smaller row "
        "groups (pyarrow: pq.write_table(table, path, row_group_size=10_000); pandas: df.to_parquet(path, "
        "row_group_size=10_000)), or ask an admin to raise TUNEFORGE_DATASET_MAX_ROW_GROUP_BYTES."
    )


def parquet_decoded_size(path: Path, name: str, options: ReadOptions, budget: int) -> int:
    """What the Parquet file decodes to, row group by row group: first every row group's declared size
    from the metadata (nothing decoded), then a decoding pass that counts the bytes Arrow produces,
    one batch at a time, and stops as soon as a row group is over max_row_group_bytes (LimitExceeded)
    or the file is over `budget` (returns what it counted so far). 0 for a file that is not Parquet
    (read_parquet reports it)."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception:  # pyarrow raises several unrelated types for a bad file
        return 0
    cap = options.max_row_group_bytes
    with parquet:
        metadata = parquet.metadata
        for group in range(metadata.num_row_groups):
            declared = _row_group_declared(metadata, group)
            if declared > cap:
                raise _row_group_refused(name, group, declared, cap)
        total = 0
        for group in range(metadata.num_row_groups):
            decoded = 0
            try:
                for batch in parquet.iter_batches(batch_size=1024, row_groups=[group], use_threads=False):
                    decoded += batch.nbytes
                    if decoded > cap:
                        raise _row_group_refused(name, group, cap, cap, more=True)
                    if total + decoded > budget:
                        return total + decoded
            except LimitExceeded:
                raise
            except MemoryError:
                raise
            except Exception:  # a broken page: the reading pass reports it where it is
                return total + decoded
            total += decoded
    return total


def read_parquet(path: Path, name: str, log: IssueLog) -> Iterator[Record]:
    """One row group at a time, in batches; `check_limits` has made sure each decodes to at most
    max_row_group_bytes before this runs."""
    import pyarrow.parquet as pq

    try:
        table_file = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        log.file_issue("error", "invalid_parquet", name, f"not a readable Parquet file ({exc})",
                       "Export the table again as Parquet, or as CSV/JSONL.")
        return
    with table_file:
        for group in range(table_file.num_row_groups):
            for batch in table_file.iter_batches(batch_size=1024, row_groups=[group], use_threads=False):
                for data in batch.to_pylist():
                    yield Record(data, name)


# --- Documents (.txt / .md) and zips of them ---------------------------------------------------------


class _DocumentTooLong(Exception):
    """A whole document (chunk_chars 0), a line or a conversation over max_row_bytes."""

    def __init__(self, line: int, size: int) -> None:
        super().__init__(line, size)
        self.line = line
        self.size = size


def _line_pieces(text: io.TextIOBase) -> Iterator[tuple[str, bool]]:
    """The text's lines without their newline, in pieces of at most _FRAGMENT characters: (piece, whether
    the line ends with it). A file without a line break is never read whole."""
    while True:
        piece = text.readline(_FRAGMENT)
        if not piece:
            return
        if piece.endswith("\n"):
            yield piece[:-1], True
        else:  # shorter than asked for without a newline: the end of the file
            yield piece, len(piece) < _FRAGMENT


class _Chunker:
    """Paragraphs (runs of non-blank lines) packed into chunks of at most `max_chars` characters, in one
    streaming pass: it holds one chunk being packed and the paragraph being read, never more than
    about `max_chars` plus one line piece. A paragraph longer than a chunk is cut at a space as it is
    read. With max_chars 0 (whole documents) the document is one chunk, refused past `max_row_chars`."""

    def __init__(self, max_chars: int, max_row_chars: int) -> None:
        self.max_chars = max_chars
        self.max_row_chars = max_row_chars
        self.buffer: list[str] = []  # paragraphs of the chunk being packed
        self.size = 0  # their length joined with blank lines
        self.start = 1  # the line the chunk starts on
        self.parts: list[str] = []  # the paragraph being read, in pieces
        self.length = 0
        self.in_paragraph = False
        self.paragraph_start = 0
        self.cut = False  # the paragraph was cut: what is left of it is stripped, as each piece is

    def add(self, piece: str, new_line: bool, line: int) -> Iterator[tuple[int, str]]:
        if not self.in_paragraph:
            self.in_paragraph, self.paragraph_start, self.cut = True, line, False
            self.parts, self.length = [piece], len(piece)
        else:
            joined = "\n" + piece if new_line else piece
            self.parts.append(joined)
            self.length += len(joined)
        max_chars = self.max_chars
        if not max_chars:
            if self.size + 2 + self.length > self.max_row_chars:
                raise _DocumentTooLong(self.start if self.buffer else self.paragraph_start, self.max_row_chars)
            return
        if self.length <= max_chars:
            return
        if self.buffer:  # the paragraph does not fit with what is packed: that chunk is done
            yield self.start, "\n\n".join(self.buffer)
            self.buffer, self.size = [], 0
        paragraph = "".join(self.parts)
        while len(paragraph) > max_chars:
            cut = paragraph.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            yield self.paragraph_start, paragraph[:cut].strip()
            paragraph = paragraph[cut:].lstrip()
            self.cut = True
        self.parts, self.length = [paragraph], len(paragraph)

    def end_paragraph(self) -> Iterator[tuple[int, str]]:
        if not self.in_paragraph:
            return
        paragraph = "".join(self.parts)
        if self.cut:
            paragraph = paragraph.strip()
        self.in_paragraph, self.parts, self.length = False, [], 0
        if self.max_chars and self.buffer and self.size + 2 + len(paragraph) > self.max_chars:
            yield self.start, "\n\n".join(self.buffer)
            self.buffer, self.size = [], 0
        if not self.buffer:
            self.start = self.paragraph_start
        self.buffer.append(paragraph)
        self.size += len(paragraph) + (2 if self.size else 0)

    def finish(self) -> Iterator[tuple[int, str]]:
        yield from self.end_paragraph()
        if self.buffer:
            yield self.start, "\n\n".join(self.buffer)
            self.buffer, self.size = [], 0


def _chunks(text: io.TextIOBase, max_chars: int, max_row_chars: int = ReadOptions.max_row_bytes) -> Iterator[tuple[int, str]]:
    """Paragraph-packed chunks of at most max_chars characters (0: the whole document), with first line.
    Linear time and bounded memory whatever the file's shape (see _Chunker)."""
    chunker = _Chunker(max_chars, max_row_chars)
    line, mid_line = 0, False
    for piece, ends in _line_pieces(text):
        new_line = not mid_line
        mid_line = not ends
        if new_line:
            line += 1
            if ends and not piece.strip():  # a blank line ends the paragraph
                yield from chunker.end_paragraph()
                continue
        yield from chunker.add(piece, new_line, line)
    yield from chunker.finish()


def _text_lines(text: io.TextIOBase, cap: int) -> Iterator[str]:
    """Lines of at most `cap` characters; a longer line ends the reading (_DocumentTooLong)."""
    for line_number, (line, over) in enumerate(_bounded_lines(text, cap, "\n"), 1):
        if over is not None:
            raise _DocumentTooLong(line_number, over)
        yield line


def read_document(opener, name: str, encoding: TextEncoding, options: ReadOptions, log: IssueLog) -> Iterator[Record]:
    cap = options.max_row_bytes
    with _text(opener, encoding) as text:
        if options.participants:
            from tuneforge.datasets.ingest.markdown_chat import ConversationTooLong, parse_transcript

            produced = False
            try:
                for line, messages, skipped in parse_transcript(_text_lines(text, cap), options.participants,
                                                                options.conversation_separator, max_chars=cap):
                    produced = True
                    if skipped:
                        log.file_issue("info", "transcript_preamble", name,
                                       f"{n(skipped)} lines before the first speaker (line {n(line)}) were ignored",
                                       "Add a participant pattern if they belong to someone.")
                    yield Record({"messages": messages}, name, line)
            except (ConversationTooLong, _DocumentTooLong) as exc:
                yield Record(None, name, exc.line, row_too_long(
                    exc.size, cap, more=True, rest=True,
                    hint="A conversation is one row: add a conversation separator (a line that ends one conversation) "
                         "so long transcripts become several rows."))
                return
            if not produced:
                log.file_issue("warning", "no_conversation", name, "no line matched any participant pattern",
                               "Check the participant patterns against the file's speaker labels.")
            return
        produced = False
        try:
            for line, chunk in _chunks(text, options.chunk_chars, cap):
                produced = True
                yield Record({"text": chunk}, name, line)
        except _DocumentTooLong as exc:
            yield Record(None, name, exc.line, row_too_long(
                exc.size, cap, more=True, rest=True,
                hint="A whole document is one row when the chunk size is 0: set a chunk size (e.g. 6000 characters)."))
            return
        if not produced:
            log.file_issue("warning", "empty_document", name, "the document is empty and was skipped")


def unsafe_member_name(member: str) -> bool:
    if "\x00" in member or member.startswith(("/", "\\")) or (len(member) > 1 and member[1] == ":"):
        return True
    parts = member.replace("\\", "/").split("/")
    return ".." in parts or posixpath.isabs(member)


def _skip_reason(member: zipfile.ZipInfo) -> str | None:
    """Why a zip member is not read: "unsafe", "hidden", "type", "encrypted"; None when it is read."""
    if unsafe_member_name(member.filename):
        return "unsafe"
    base = posixpath.basename(member.filename.replace("\\", "/"))
    if base.startswith(".") or member.filename.startswith("__MACOSX/"):
        return "hidden"
    if posixpath.splitext(base)[1].lower() not in DOCUMENT_SUFFIXES:
        return "type"
    if member.flag_bits & 0x1:
        return "encrypted"
    return None


def _zip_entries(path: Path, stop_after: int) -> int | None:
    """How many entries the zip's central directory lists, counted from their fixed-size headers without
    building them (zipfile builds an object for every entry before anything can be checked); stops
    counting past `stop_after`. None when the file is not a zip (read_zip reports that)."""
    try:
        with open(path, "rb") as handle:
            end = zipfile._EndRecData(handle)  # the end record, zip64 included; where zipfile finds it
            if end is None:
                return None
            size_cd = end[zipfile._ECD_SIZE]
            start = end[zipfile._ECD_LOCATION] - size_cd
            if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
                start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
            handle.seek(max(start, 0))
            count = done = 0
            while done < size_cd and count <= stop_after:
                header = handle.read(46)
                if len(header) < 46 or header[:4] != zipfile.stringCentralDir:
                    break
                skip = sum(struct.unpack("<HHH", header[28:34]))  # name, extra field, comment
                handle.seek(skip, io.SEEK_CUR)
                done += 46 + skip
                count += 1
            return count
    except (OSError, zipfile.BadZipFile, struct.error):
        return None


def _zip_documents_size(source: Source, options: ReadOptions) -> int:
    """The declared size of the members read_zip will read (zipfile stops reading a member at it),
    refusing a large member that expands more than max_zip_ratio times."""
    try:
        archive = zipfile.ZipFile(source.path)
    except (zipfile.BadZipFile, OSError):
        return 0
    total = 0
    file_size = source.path.stat().st_size  # a member cannot hold more compressed bytes than the zip
    with archive:
        for member in archive.infolist():
            if member.is_dir() or _skip_reason(member) is not None:
                continue
            ratio = member.file_size / max(min(member.compress_size, file_size), 1)
            if member.file_size > _ZIP_RATIO_FLOOR and ratio > options.max_zip_ratio:
                raise LimitExceeded(
                    f"{source.name}:{member.filename} expands {n(int(ratio))} times ({_size(member.compress_size)} → "
                    f"{_size(member.file_size)}), over the limit of {n(options.max_zip_ratio)} times for a file in a zip, "
                    "so nothing was read. Text compresses 3 to 10 times; this is what a zip bomb looks like. If the file "
                    "is genuine, upload it unzipped, or ask an admin to raise TUNEFORGE_DATASET_MAX_ZIP_RATIO."
                )
            total += member.file_size
    return total


def check_limits(sources: list[Source], options: ReadOptions) -> None:
    """Refuses an upload over the reading limits before any row is read (LimitExceeded, naming the limit
    and what to do): how many files its zips hold and what their documents expand to (from the zips'
    central directories), and what its Parquet files decode to (from their metadata, then a counting
    pass that decodes one batch at a time). Limits are per upload: ten zips each under the limit
    still add up."""
    members = expanded = 0
    for source in sources:
        suffix = Path(source.name).suffix.lower()
        if suffix in ZIP_SUFFIXES:
            count = _zip_entries(source.path, options.max_zip_members - members)
            if count is None:
                continue
            members += count
            if members > options.max_zip_members:
                raise LimitExceeded(
                    f"The zips in this upload hold more than {n(options.max_zip_members)} files, the limit for one "
                    "upload, so nothing was read. Upload them in several parts, join small documents into larger "
                    "files, or ask an admin to raise TUNEFORGE_DATASET_MAX_ZIP_MEMBERS."
                )
            expanded += _zip_documents_size(source, options)
        elif suffix == ".parquet":
            expanded += parquet_decoded_size(source.path, source.name, options, options.max_expanded_bytes - expanded)
        if expanded > options.max_expanded_bytes:
            raise LimitExceeded(
                f"This upload expands to more than {_size(options.max_expanded_bytes)} (the documents in its zips and "
                "the decoded data of its Parquet files, together), the limit for one upload, so nothing was read. "
                "Upload it in smaller parts, send text files unzipped (plain files count only under the upload "
                "limit), or ask an admin to raise TUNEFORGE_DATASET_MAX_EXPANDED_BYTES."
            )


def read_zip(path: Path, name: str, options: ReadOptions, log: IssueLog) -> Iterator[Record]:
    """The zip's .txt/.md members, never extracted; `check_limits` has checked its size and member count."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        log.file_issue("error", "invalid_zip", name, f"not a readable zip file ({exc})", "Create the zip again.")
        return
    with archive:
        skipped_types: list[str] = []
        for member in archive.infolist():
            if member.is_dir():
                continue
            label = f"{name}:{member.filename}"
            reason = _skip_reason(member)
            if reason == "unsafe":
                log.file_issue("warning", "zip_unsafe_name", label,
                               "skipped: its path points outside the archive",
                               "Zip the files with relative paths inside one folder.")
                continue
            if reason == "hidden":
                continue
            if reason == "type":
                skipped_types.append(member.filename)
                continue
            if reason == "encrypted":
                log.file_issue("error", "zip_encrypted", label, "skipped: the file is encrypted", "Zip it without a password.")
                continue
            opener = lambda member=member: archive.open(member)  # noqa: E731 — zipfile caps reads at file_size
            encoding = _encoding_or_log(opener, label, options, log)
            if encoding is None:
                continue
            yield from read_document(opener, label, encoding, options, log)
        if skipped_types:
            shown = ", ".join(skipped_types[:5]) + (f" and {n(len(skipped_types) - 5)} more" if len(skipped_types) > 5 else "")
            log.file_issue("info", "zip_skipped_files", name, f"skipped {n(len(skipped_types))} files that are not .txt or .md: {shown}")


def _size(num_bytes: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if num_bytes >= factor:
            return f"{num_bytes / factor:.1f} {unit}"
    return f"{num_bytes} bytes"
