"""The streaming multipart receiver: a client that goes away mid-upload leaves nothing behind."""

from __future__ import annotations

import pytest
from starlette.requests import ClientDisconnect

from tuneforge.datasets.upload import file_label, receive_upload
from tuneforge.errors import BadRequest, PayloadTooLarge
from tuneforge.storage import Storage


def _part(name: str, filename: str | None, content: bytes) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    return f"--BOUNDARY\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"


class FakeRequest:
    def __init__(self, body: bytes, *, fail_after: int | None = None, chunk: int = 1000) -> None:
        self.headers = {"content-type": "multipart/form-data; boundary=BOUNDARY"}
        self._body, self._fail_after, self._chunk = body, fail_after, chunk

    async def stream(self):
        for start in range(0, len(self._body), self._chunk):
            if self._fail_after is not None and start >= self._fail_after:
                raise ClientDisconnect()
            yield self._body[start : start + self._chunk]


def _files(root):
    return [p for p in root.rglob("*") if p.is_file()]


async def test_complete_upload_streams_each_file_to_storage(tmp_path):
    storage = Storage(tmp_path)
    body = (_part("name", None, b"My set") + _part("files", "a.jsonl", b"x" * 5000) + _part("files", "b.csv", b"y" * 10)
            + _part("files", "", b"") + b"--BOUNDARY--\r\n")
    received = await receive_upload(FakeRequest(body), storage=storage, prefix="datasets/d/uploads", max_bytes=10_000)
    assert received.fields == {"name": "My set"}
    assert [(f.name, f.size) for f in received.files] == [("a.jsonl", 5000), ("b.csv", 10)]
    assert storage.path(received.files[0].key).read_bytes() == b"x" * 5000
    assert len(_files(tmp_path)) == 2


async def test_disconnect_mid_upload_removes_every_file(tmp_path):
    storage = Storage(tmp_path)
    body = _part("files", "a.jsonl", b"x" * 5000) + _part("files", "b.jsonl", b"y" * 50_000) + b"--BOUNDARY--\r\n"
    with pytest.raises(ClientDisconnect):
        await receive_upload(FakeRequest(body, fail_after=20_000), storage=storage, prefix="datasets/d/uploads",
                             max_bytes=1_000_000)
    assert _files(tmp_path) == []


async def test_over_the_cap_mid_stream_removes_every_file(tmp_path):
    storage = Storage(tmp_path)
    body = _part("files", "a.jsonl", b"x" * 5000) + _part("files", "b.jsonl", b"y" * 50_000) + b"--BOUNDARY--\r\n"
    with pytest.raises(PayloadTooLarge):
        await receive_upload(FakeRequest(body), storage=storage, prefix="datasets/d/uploads", max_bytes=20_000)
    assert _files(tmp_path) == []


async def test_truncated_body_and_missing_files_are_refused(tmp_path):
    storage = Storage(tmp_path)
    with pytest.raises(BadRequest, match="before the last file was complete"):
        await receive_upload(FakeRequest(_part("files", "a.jsonl", b"x" * 100)[:-2]), storage=storage, prefix="p",
                             max_bytes=10_000)
    with pytest.raises(BadRequest, match="at least one file"):
        await receive_upload(FakeRequest(_part("name", None, b"n") + b"--BOUNDARY--\r\n"), storage=storage, prefix="p",
                             max_bytes=10_000)
    assert _files(tmp_path) == []


def test_file_labels_drop_paths_and_control_characters():
    assert file_label("../../etc/passwd") == "passwd"
    assert file_label("C:\\Users\\me\\data.jsonl") == "data.jsonl"
    assert file_label("a\x00b\n.csv") == "ab.csv"
    assert file_label("../") == "upload"
