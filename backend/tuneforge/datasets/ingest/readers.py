"""Streaming readers: each yields one `Record` per row of the source, never the whole file.

File names are labels only: readers open the `path` they are given (a storage path) and the
members of a zip are read through `zipfile`, never extracted to the filesystem.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
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
    zip_max_bytes: int = 1 << 30  # total uncompressed size a zip may expand to
    zip_max_members: int = 100_000
    participants: dict[str, list] | None = None  # markdown transcripts -> chat rows (see markdown_chat)
    conversation_separator: Any = None


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
        if suffix in (".jsonl", ".ndjson"):
            yield from read_jsonl(opener, source.name, encoding)
        elif suffix == ".json":
            yield from read_json(opener, source.name, encoding, log)
        elif suffix in (".csv", ".tsv"):
            yield from read_csv(opener, source.name, encoding, delimiter="\t" if suffix == ".tsv" else ",", log=log)
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


def read_jsonl(opener, name: str, encoding: TextEncoding) -> Iterator[Record]:
    if encoding.codec in ("utf-8", "utf-8-sig"):
        yield from _read_jsonl_utf8(opener, name)
        return
    with _text(opener, encoding) as text:
        for lineno, line in enumerate(text, 1):
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


def _read_jsonl_utf8(opener, name: str) -> Iterator[Record]:
    """The fast path: bytes lines straight into json.loads (the file was already checked to be UTF-8)."""
    with opener() as raw:
        for lineno, line in enumerate(raw, 1):
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
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


class _Utf8Bytes:
    """Feeds ijson UTF-8 bytes whatever the file's encoding was."""

    def __init__(self, text: io.TextIOBase) -> None:
        self._text = text

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes with read(0) to tell bytes from text
            return b""
        return self._text.read(size if size > 0 else 1 << 16).encode("utf-8")


def read_json(opener, name: str, encoding: TextEncoding, log: IssueLog) -> Iterator[Record]:
    import ijson

    produced = 0
    with _text(opener, encoding) as text:
        events = ijson.parse(_Utf8Bytes(text), use_float=True)
        try:
            first = next(events, None)
            if first is None:
                log.file_issue("error", "empty_file", name, "the file is empty", "Upload a file with rows in it.")
                return
            _, event, _ = first
            if event == "start_array":
                for data in _array_items(events, "item"):
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
                if prefix == "" and event == "map_key":
                    key = value
                    prefix, event, value = next(events)
                    if event == "start_array":
                        lists.append(key)
                        if len(lists) == 1:
                            for data in _array_items(events, f"{key}.item"):
                                produced += 1
                                yield Record(data, name)
                        else:
                            _skip(events, event)
                    elif event in ("start_map",):
                        _skip(events, event)
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
            yield from _rows_before_error(opener, name, encoding, produced)
            yield _broken_json_record(opener, name, encoding, produced, exc)


def _rows_before_error(opener, name, encoding, already: int) -> Iterator[Record]:
    import ijson

    backend = ijson.get_backend("python")
    with _text(opener, encoding) as text:
        events = backend.parse(_Utf8Bytes(text), use_float=True)
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
                            _skip(events, inner)
                if prefix is None:
                    return
            for data in _array_items(events, prefix):
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


def _array_items(events, item_prefix: str) -> Iterator[Any]:
    import ijson

    parent = item_prefix.rsplit(".", 1)[0] if "." in item_prefix else ""
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


def _skip(events, start_event: str) -> None:
    depth = 1
    for _, event, _ in events:
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


def read_csv(opener, name: str, encoding: TextEncoding, *, delimiter: str, log: IssueLog) -> Iterator[Record]:
    if delimiter == ",":
        sniffed = _header_delimiter(opener, encoding)
        if sniffed and sniffed != ",":
            label = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}[sniffed]
            log.file_issue("info", "csv_separator", name, f"the columns are separated by {label}, not commas; "
                           "read that way")
            delimiter = sniffed
    with _text(opener, encoding, newline="") as text:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader, None)
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
            try:
                values = next(reader)
            except StopIteration:
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


def read_parquet(path: Path, name: str, log: IssueLog) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        table_file = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        log.file_issue("error", "invalid_parquet", name, f"not a readable Parquet file ({exc})",
                       "Export the table again as Parquet, or as CSV/JSONL.")
        return
    for group in range(table_file.num_row_groups):  # one row group in memory at a time
        for batch in table_file.iter_batches(batch_size=1024, row_groups=[group]):
            for data in batch.to_pylist():
                yield Record(data, name)


# --- Documents (.txt / .md) and zips of them ---------------------------------------------------------


def _paragraphs(lines: Iterator[str]) -> Iterator[tuple[int, str]]:
    paragraph: list[str] = []
    start = 1
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if line.strip():
            if not paragraph:
                start = lineno
            paragraph.append(line)
        elif paragraph:
            yield start, "\n".join(paragraph)
            paragraph = []
    if paragraph:
        yield start, "\n".join(paragraph)


def _chunks(lines: Iterator[str], max_chars: int) -> Iterator[tuple[int, str]]:
    """Paragraph-packed chunks of at most max_chars characters (0: the whole document), with first line."""
    buffer: list[str] = []
    size = 0
    start = 1
    for para_start, para in _paragraphs(lines):
        if max_chars and buffer and size + 2 + len(para) > max_chars:
            yield start, "\n\n".join(buffer)
            buffer, size = [], 0
        while max_chars and len(para) > max_chars:  # a paragraph longer than a chunk: cut at a space
            cut = para.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            yield para_start, para[:cut].strip()
            para = para[cut:].strip()
        if not buffer:
            start = para_start
        buffer.append(para)
        size += len(para) + (2 if size else 0)
    if buffer:
        yield start, "\n\n".join(buffer)


def read_document(opener, name: str, encoding: TextEncoding, options: ReadOptions, log: IssueLog) -> Iterator[Record]:
    with _text(opener, encoding) as text:
        if options.participants:
            from tuneforge.datasets.ingest.markdown_chat import parse_transcript

            produced = False
            for line, messages, skipped in parse_transcript(text, options.participants, options.conversation_separator):
                produced = True
                if skipped:
                    log.file_issue("info", "transcript_preamble", name,
                                   f"{n(skipped)} lines before the first speaker (line {n(line)}) were ignored",
                                   "Add a participant pattern if they belong to someone.")
                yield Record({"messages": messages}, name, line)
            if not produced:
                log.file_issue("warning", "no_conversation", name, "no line matched any participant pattern",
                               "Check the participant patterns against the file's speaker labels.")
            return
        produced = False
        for line, chunk in _chunks(iter(text), options.chunk_chars):
            produced = True
            yield Record({"text": chunk}, name, line)
        if not produced:
            log.file_issue("warning", "empty_document", name, "the document is empty and was skipped")


def unsafe_member_name(member: str) -> bool:
    if "\x00" in member or member.startswith(("/", "\\")) or (len(member) > 1 and member[1] == ":"):
        return True
    parts = member.replace("\\", "/").split("/")
    return ".." in parts or posixpath.isabs(member)


def read_zip(path: Path, name: str, options: ReadOptions, log: IssueLog) -> Iterator[Record]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        log.file_issue("error", "invalid_zip", name, f"not a readable zip file ({exc})", "Create the zip again.")
        return
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        declared = sum(m.file_size for m in members)
        if declared > options.zip_max_bytes:
            log.file_issue(
                "error", "zip_too_large", name,
                f"the zip expands to {_size(declared)}, over the {_size(options.zip_max_bytes)} limit; nothing was read",
                "Split the corpus into several smaller zips, or ask an admin to raise the limit.",
            )
            return
        if len(members) > options.zip_max_members:
            log.file_issue("error", "zip_too_many_files", name,
                           f"the zip holds {n(len(members))} files, over the {n(options.zip_max_members)} limit",
                           "Split it into several zips.")
            return
        skipped_types: list[str] = []
        for member in members:
            label = f"{name}:{member.filename}"
            base = posixpath.basename(member.filename.replace("\\", "/"))
            if unsafe_member_name(member.filename):
                log.file_issue("warning", "zip_unsafe_name", label,
                               "skipped: its path points outside the archive",
                               "Zip the files with relative paths inside one folder.")
                continue
            if base.startswith(".") or member.filename.startswith("__MACOSX/"):
                continue
            if posixpath.splitext(base)[1].lower() not in DOCUMENT_SUFFIXES:
                skipped_types.append(member.filename)
                continue
            if member.flag_bits & 0x1:
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
