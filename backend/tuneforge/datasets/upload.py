"""Streams a multipart upload straight into storage, file by file, counting bytes as they arrive.

Nothing is buffered whole: each file part is written to a storage key as it streams in. Over the
size cap, a broken stream or a client that goes away: every file written so far is removed, so a
failed upload leaves nothing behind. The user's file name is kept only as a label.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from tuneforge.datasets.sniff import HEAD_BYTES, refusal
from tuneforge.errors import BadRequest, InsufficientStorage, PayloadTooLarge
from tuneforge.storage import Storage, disk_full

_MAX_FIELD_BYTES = 256 * 1024
# Bounds on the form itself, so a body of tiny parts cannot make the server do unbounded work:
# at most this many parts (files and fields), text fields, and bytes of headers per part.
_MAX_PARTS = 1000
_MAX_FIELDS = 32
_MAX_PART_HEADER_BYTES = 8 * 1024
_MAX_PART_HEADERS = 8
_HEADERS_TOO_LARGE = (
    f"A part of the form has more than {_MAX_PART_HEADERS} headers or {_MAX_PART_HEADER_BYTES // 1024} KB of them. "
    "Send each file with just its Content-Disposition and Content-Type."
)
# What a body may carry beyond max_bytes of content: boundaries and part headers.
_ENVELOPE_BYTES = 2 * 1024 * 1024
_UNSAFE_LABEL = re.compile(r"[\x00-\x1f\x7f]")


def human_size(num_bytes: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if num_bytes >= factor:
            return f"{num_bytes / factor:.1f} {unit}"
    return f"{num_bytes} bytes"


def file_label(raw_name: str) -> str:
    """A display name from what the browser sent: last path component, no control characters."""
    name = raw_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_LABEL.sub("", name).strip()[:200]
    return name or "upload"


@dataclass
class ReceivedFile:
    name: str  # label only
    key: str  # storage key, generated here
    size: int
    sha256: str

    def to_dict(self) -> dict:
        return {"name": self.name, "key": self.key, "size": self.size, "sha256": self.sha256}


@dataclass
class Received:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[ReceivedFile] = field(default_factory=list)


class _TooLarge(Exception):
    pass


class _Receiver:
    def __init__(self, storage: Storage, prefix: str, max_bytes: int) -> None:
        self.storage = storage
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.total = 0
        self.received = Received()
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._writer: Any = None  # (context manager, handle, ReceivedFile, hasher)
        self._field_name: str | None = None
        self._field_value = bytearray()
        self._open: list[Any] = []
        self._head: bytearray | None = None  # the current file's first bytes, until sniffed (sniff.py)
        self._parts = 0
        self._fields = 0
        self._header_bytes = 0

    # multipart callbacks ------------------------------------------------------------------
    def on_part_begin(self) -> None:
        self._headers = {}
        self._header_bytes = 0
        self._parts += 1
        if self._parts > _MAX_PARTS:
            raise BadRequest(
                f"The form has more than {_MAX_PARTS} parts. Put many files into one .zip and upload that instead."
            )

    def _count_header_bytes(self, count: int) -> None:
        self._header_bytes += count
        if self._header_bytes > _MAX_PART_HEADER_BYTES:
            raise BadRequest(_HEADERS_TOO_LARGE)

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._count_header_bytes(4)  # ": " and CRLF: a flood of empty headers counts too
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if filename is not None and not filename.strip():
            self._field_name = None  # an empty file input: browsers send it with filename=""; skip it
        elif filename is not None:
            key = f"{self.prefix}/{uuid.uuid4().hex}"
            manager = self.storage.open_write(key)
            handle = manager.__enter__()
            record = ReceivedFile(file_label(filename.decode("utf-8", "replace")), key, 0, "")
            self._head = bytearray()
            self._writer = (manager, handle, record, hashlib.sha256())
            self._open.append(self._writer)
        else:
            self._fields += 1
            if self._fields > _MAX_FIELDS:
                raise BadRequest(
                    f"The form has more than {_MAX_FIELDS} text fields. Send the files in fields named 'files' "
                    "and only the documented fields (name, description, notes, mapping, options)."
                )
            self._field_name, self._field_value = name, bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._writer is not None:
            self.total += len(chunk)
            if self.total > self.max_bytes:
                raise _TooLarge
            _, handle, record, hasher = self._writer
            if self._head is not None:
                self._head += chunk[: HEAD_BYTES - len(self._head)]
                if len(self._head) >= HEAD_BYTES:
                    self._sniff(record.name)
            handle.write(chunk)
            hasher.update(chunk)
            record.size += len(chunk)
        elif self._field_name is not None:
            self.total += len(chunk)  # text fields count toward the upload's size cap too
            if self.total > self.max_bytes:
                raise _TooLarge
            self._field_value += chunk
            if len(self._field_value) > _MAX_FIELD_BYTES:
                raise BadRequest(f"The form field {self._field_name!r} is too long.")

    def on_part_end(self) -> None:
        if self._writer is not None:
            manager, _, record, hasher = self._writer
            if self._head is not None:
                self._sniff(record.name)
            manager.__exit__(None, None, None)  # renames the temporary file into place
            self._open.remove(self._writer)
            record.sha256 = hasher.hexdigest()
            self.received.files.append(record)
            self._writer = None
        elif self._field_name is not None:
            self.received.fields[self._field_name] = self._field_value.decode("utf-8", "replace")
            self._field_name = None

    def _sniff(self, name: str) -> None:
        """Binary content (a PNG renamed .jsonl, a PDF, a program) is refused before it is read as rows."""
        head, self._head = bytes(self._head or b""), None
        reason = refusal(name, head)
        if reason is not None:
            raise BadRequest(reason)

    def discard(self, exc: BaseException) -> None:
        for manager, *_ in self._open:
            try:
                manager.__exit__(type(exc), exc, exc.__traceback__)  # removes the partial file
            except Exception:  # noqa: BLE001 — e.g. a full disk fails the close too; the file is gone anyway
                pass
        self._open.clear()
        for record in self.received.files:
            self.storage.delete(record.key)
        self.received.files.clear()


class UploadRequest(Protocol):
    """What the upload needs of an HTTP request (a Starlette `Request` is one): no web framework here."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    def stream(self) -> AsyncIterator[bytes]: ...


async def receive_upload(request: UploadRequest, *, storage: Storage, prefix: str, max_bytes: int) -> Received:
    too_large = PayloadTooLarge(
        f"The upload is larger than the {human_size(max_bytes)} limit, so nothing was kept. Compress documents "
        "into a .zip, convert tables to Parquet, or ask an admin to raise TUNEFORGE_DATASET_MAX_UPLOAD_BYTES."
    )
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise BadRequest("Send the files as multipart/form-data, each in a field named 'files'.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + _ENVELOPE_BYTES:
        raise too_large  # refused before reading a byte
    receiver = _Receiver(storage, prefix, max_bytes)
    parser = MultipartParser(params[b"boundary"], {
        name: getattr(receiver, name)
        for name in ("on_part_begin", "on_header_field", "on_header_value", "on_header_end",
                     "on_headers_finished", "on_part_data", "on_part_end")
    }, max_header_count=_MAX_PART_HEADERS, max_header_size=_MAX_PART_HEADER_BYTES)
    raw_bytes = 0
    try:
        async for chunk in request.stream():
            raw_bytes += len(chunk)  # the whole body, boundaries and headers included (chunked bodies declare no length)
            if raw_bytes > max_bytes + _ENVELOPE_BYTES:
                raise _TooLarge
            parser.write(chunk)
        parser.finalize()
        if receiver._open:
            raise BadRequest("The upload ended before the last file was complete. Try again.")
    except _TooLarge as exc:
        receiver.discard(exc)
        raise too_large from None
    except BaseException as exc:  # client gone, malformed body, full disk: leave nothing behind
        receiver.discard(exc)
        if disk_full(exc):
            raise InsufficientStorage() from None
        if isinstance(exc, MultipartParseError) and "Maximum header" in str(exc):
            raise BadRequest(_HEADERS_TOO_LARGE) from None
        if isinstance(exc, Exception) and not isinstance(exc, BadRequest) and type(exc).__name__ != "ClientDisconnect":
            raise BadRequest(f"The upload could not be read ({exc}). Try again.") from exc
        raise
    if not receiver.received.files:
        raise BadRequest("Add at least one file (form field 'files').")
    return receiver.received
