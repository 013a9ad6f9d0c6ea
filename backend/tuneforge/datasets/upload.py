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

from python_multipart.multipart import MultipartParser, parse_options_header

from tuneforge.errors import BadRequest, PayloadTooLarge
from tuneforge.storage import Storage

_MAX_FIELD_BYTES = 256 * 1024
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

    # multipart callbacks ------------------------------------------------------------------
    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
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
            self._writer = (manager, handle, record, hashlib.sha256())
            self._open.append(self._writer)
        else:
            self._field_name, self._field_value = name, bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._writer is not None:
            self.total += len(chunk)
            if self.total > self.max_bytes:
                raise _TooLarge
            _, handle, record, hasher = self._writer
            handle.write(chunk)
            hasher.update(chunk)
            record.size += len(chunk)
        elif self._field_name is not None:
            self._field_value += chunk
            if len(self._field_value) > _MAX_FIELD_BYTES:
                raise BadRequest(f"The form field {self._field_name!r} is too long.")

    def on_part_end(self) -> None:
        if self._writer is not None:
            manager, _, record, hasher = self._writer
            manager.__exit__(None, None, None)  # renames the temporary file into place
            self._open.remove(self._writer)
            record.sha256 = hasher.hexdigest()
            self.received.files.append(record)
            self._writer = None
        elif self._field_name is not None:
            self.received.fields[self._field_name] = self._field_value.decode("utf-8", "replace")
            self._field_name = None

    def discard(self, exc: BaseException) -> None:
        for manager, *_ in self._open:
            manager.__exit__(type(exc), exc, exc.__traceback__)  # removes the partial file
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
    if declared and declared.isdigit() and int(declared) > max_bytes + _MAX_FIELD_BYTES * 8:
        raise too_large  # refused before reading a byte
    receiver = _Receiver(storage, prefix, max_bytes)
    parser = MultipartParser(params[b"boundary"], {
        name: getattr(receiver, name)
        for name in ("on_part_begin", "on_header_field", "on_header_value", "on_header_end",
                     "on_headers_finished", "on_part_data", "on_part_end")
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if receiver._open:
            raise BadRequest("The upload ended before the last file was complete. Try again.")
    except _TooLarge as exc:
        receiver.discard(exc)
        raise too_large from None
    except BaseException as exc:  # client gone, malformed body: leave nothing behind
        receiver.discard(exc)
        if isinstance(exc, Exception) and not isinstance(exc, BadRequest) and type(exc).__name__ != "ClientDisconnect":
            raise BadRequest(f"The upload could not be read ({exc}). Try again.") from exc
        raise
    if not receiver.received.files:
        raise BadRequest("Add at least one file (form field 'files').")
    return receiver.received
