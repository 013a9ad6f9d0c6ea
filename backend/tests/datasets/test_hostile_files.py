"""Hostile dataset files: bounded memory and time, refusals that name the limit, and an ingest child
whose death by the memory limit is explained while the API keeps answering (docs/security.md,
"Hostile dataset files")."""

from __future__ import annotations

import io
import json
import threading
import time
import tracemalloc
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.datasets.helpers import by_code, chat, jsonl, run

BASE = "/api/teams/{team}/datasets"


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _PeakRss:
    """The highest RSS of this process (the API, when it runs in-process) while the block runs."""

    def __enter__(self) -> _PeakRss:
        self.start = self.peak = _rss_mb()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.start


def ab_lines_zip(expanded_bytes: int = 1_000_000_000) -> bytes:
    """The issue's zip: one .txt member of "ab\\n" lines and no blank line, ~1,000x compression; by
    default ~1 MB expanding to just under the old 1 GiB per-zip limit."""
    buffer = io.BytesIO()
    block = b"ab\n" * 1_000_000
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("notes.txt", "w", force_zip64=True) as member:
            for _ in range(expanded_bytes // len(block)):
                member.write(block)
    return buffer.getvalue()


def parquet_bomb(rows: int = 1 << 20, width: int = 256) -> bytes:
    """A few hundred bytes that decode to rows x width bytes: one dictionary value, run-length encoded."""
    table = pa.table({"text": pa.array(["x" * width]).take(pa.array([0] * rows))})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=rows, data_page_size=1 << 30,
                   max_rows_per_page=rows, write_batch_size=rows, write_statistics=False, write_page_index=False,
                   store_schema=False)
    return buffer.getvalue()


def _files(*named: tuple[str, bytes]) -> list:
    return [("files", (name, content, "application/octet-stream")) for name, content in named]


async def _upload(client, account, *named, **fields):
    data = {k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in fields.items()}
    return await client.post(BASE.format(team=account.team_id), files=_files(*named), data=data, headers=account.headers)


# --- the reader: a paragraph that never ends ---------------------------------------------------------


def test_a_paragraph_without_blank_lines_is_chunked_in_bounded_memory(tmp_path):
    lines = 1_000_000  # 3 MB of "ab\n": one paragraph (it used to be held whole, ~26x, and re-copied per chunk)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        report, out, _ = run(tmp_path, {"notes.txt": b"ab\n" * lines})
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.kind == "text" and report.summary["errors"] == 0
    assert all(len(row["text"]) <= 6000 for row in out)
    assert sum(row["text"].count("ab") for row in out) == lines
    assert peak < 16 << 20, f"peak {peak / 2**20:.0f} MB while reading a 3 MB document"
    assert seconds < 60


def test_a_whole_document_over_the_row_limit_is_refused_not_held(tmp_path):
    tracemalloc.start()
    try:
        report, out, _ = run(tmp_path, {"a.md": b"# Title\n\n" + b"word " * 400_000, "b.md": b"Short."},
                             chunk_chars=0, max_row_bytes=256 << 10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [error] = by_code(report, "row_too_long")
    assert error["message"] == ("row 1 (a.md line 1): this row is more than 256.0 KB, over the 256.0 KB limit for one "
                                "row, so it and the rest of the file was not read")
    assert "set a chunk size" in error["hint"] and "TUNEFORGE_DATASET_MAX_ROW_BYTES" in error["hint"]
    assert out[1] == {"text": "Short."}
    assert peak < 8 << 20


@pytest.mark.parametrize(("name", "body", "options", "kept"), [
    ("rows.json", b'[{"text": "ok"}, {"text": "' + b"j" * 3_000_000 + b'"}, {"text": "never read"}]', {}, 1),
    ("rows.csv", b'text\nok\n"' + b"never closed, " * 250_000 + b"\n", {}, 1),
    ("chat.md", b"User: hi\nBot: " + b"so long\n" * 400_000, {"participants": {"user": ["User:"], "assistant": ["Bot:"]}}, 0),
])
def test_other_rows_over_the_limit_stop_the_file_without_being_held(tmp_path, name, body, options, kept):
    tracemalloc.start()
    try:
        report, out, _ = run(tmp_path, {name: body}, max_row_bytes=256 << 10, **options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [error] = by_code(report, "row_too_long")
    assert "over the 256.0 KB limit for one row, so it and the rest of the file was not read" in error["message"]
    assert len(out) == kept + 1 and out[-1]["_invalid"] is True
    assert peak < 2 * len(body), f"peak {peak / 2**20:.1f} MB for a {len(body) / 2**20:.1f} MB file"


# --- through the API: refusals per upload, rows, the memory limit ------------------------------------


async def test_the_ab_lines_zip_is_refused_at_once_and_the_api_stays_small(client, register):
    me = await register()
    body = ab_lines_zip()  # ~1 MB that expands to 1.0 GB, under the old per-zip limit (it took the API to ~26 GB)
    assert 900_000 < len(body) < 1 << 20
    with _PeakRss() as rss:
        started = time.perf_counter()
        response = await _upload(client, me, ("bomb.zip", body))
        seconds = time.perf_counter() - started
    assert response.status_code == 413, response.text
    assert response.json()["detail"].startswith("bomb.zip:notes.txt expands 1,0")
    assert "over the limit of 100 times for a file in a zip, so nothing was read" in response.json()["detail"]
    assert "TUNEFORGE_DATASET_MAX_ZIP_RATIO" in response.json()["detail"]
    assert seconds < 60 and rss.growth < 300, (seconds, rss.growth)
    assert (await client.get(BASE.format(team=me.team_id), headers=me.headers)).json() == []


async def test_the_parquet_bomb_is_refused_naming_the_limit(client, register):
    me = await register()
    body = parquet_bomb()
    assert len(body) < 1024  # decodes to 260 MiB
    with _PeakRss() as rss:
        response = await _upload(client, me, ("bomb.parquet", body))
    assert response.status_code == 413, response.text
    assert response.json()["detail"].startswith(
        "bomb.parquet: row group 1 decodes to more than 128.0 MB, over the 128.0 MB limit for one Parquet row group, "
        "so nothing was read. Write the file with smaller row groups")
    assert rss.growth < 300


async def test_zips_each_under_the_limit_are_refused_when_the_upload_adds_up(client, register, monkeypatch, settings):
    monkeypatch.setattr(settings, "dataset_max_expanded_bytes", 1 << 20)
    me = await register()
    text = "".join(f"Line {i}: {i * 7919 % 10007} apples\n" for i in range(6000)).encode()  # ~150 KB, ~4x compression
    zips = [(f"part{z}.zip", _zip({f"doc{i}.txt": text for i in range(5)})) for z in range(2)]  # 10 members, 0.75 MB a zip
    alone = await _upload(client, me, zips[0])
    assert alone.status_code == 201, alone.text
    response = await _upload(client, me, *zips, name="both")
    assert response.status_code == 413, response.text
    assert response.json()["detail"].startswith(
        "This upload expands to more than 1.0 MB (the documents in its zips and the decoded data of its Parquet files, "
        "together), the limit for one upload, so nothing was read.")
    assert "TUNEFORGE_DATASET_MAX_EXPANDED_BYTES" in response.json()["detail"]

    monkeypatch.setattr(settings, "dataset_max_expanded_bytes", 1 << 30)
    monkeypatch.setattr(settings, "dataset_max_zip_members", 8)
    response = await _upload(client, me, *zips, name="many")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The zips in this upload hold more than 8 files, the limit for one upload")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


async def test_an_over_long_row_is_refused_and_previews_show_it_cut(client, register, monkeypatch, settings):
    monkeypatch.setattr(settings, "dataset_max_row_bytes", 64 << 10)
    me = await register()
    long_row = json.dumps(chat("x" * 200_000, "y")).encode() + b"\n"
    body = jsonl([chat("a", "b")]) + long_row + jsonl([chat("c", "d")])
    response = await _upload(client, me, ("rows.jsonl", body))
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert (version["rows"], version["status"]) == (3, "has_errors")
    url = BASE.format(team=me.team_id) + f"/{response.json()['dataset']['id']}/versions/{version['id']}"
    issues = (await client.get(f"{url}/issues", headers=me.headers)).json()["items"]
    assert [i["message"] for i in issues] == ["row 2: this row is 195.4 KB, over the 64.0 KB limit for one row, so it "
                                              "was not read"]
    assert "TUNEFORGE_DATASET_MAX_ROW_BYTES" in issues[0]["hint"]
    page = (await client.get(f"{url}/rows", headers=me.headers)).json()
    first, second, third = page["items"]
    assert second["invalid"] and second["raw"].startswith('{"messages": [{"role": "user", "content": "xxx')
    assert len(second["raw"]) == 4000
    assert third["normalized"] == chat("c", "d") and third["raw"] == chat("c", "d")


async def test_previews_read_the_stored_rows_never_the_upload(client, register, data_dir):
    me = await register()
    csv = b"instruction,input,output\nAdd,2 and 3,5\n" + b"Say,hi," + b"h" * 100_000 + b"\n"
    created = (await _upload(client, me, ("alpaca.csv", csv))).json()
    version = created["version"]
    for upload in (data_dir / "storage" / "datasets" / created["dataset"]["id"] / "uploads").iterdir():
        upload.write_bytes(b"\x00garbage")  # the preview must not need it
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions/{version['id']}/rows"
    first, second = (await client.get(url, headers=me.headers)).json()["items"]
    assert first["raw"] == {"instruction": "Add", "input": "2 and 3", "output": "5"}
    assert first["normalized"] == {"prompt": "Add\n\n2 and 3", "completion": "5"}
    assert second["normalized"]["completion"] == "h" * 100_000
    assert second["raw"].startswith('{"instruction":"Say","input":"hi","output":"hhh')  # cut to 64 K characters
    assert second["raw"].endswith("… (cut: 100,046 characters in all)") and len(second["raw"]) < 66_000


async def test_a_child_over_the_memory_limit_is_explained_and_the_api_keeps_answering(
    client, register, monkeypatch, settings
):
    # The caps are the first defence; with them raised, the child's memory limit is what stops a file.
    for name, value in (("dataset_max_row_group_bytes", 8 << 30), ("dataset_max_row_bytes", 8 << 30),
                        ("dataset_max_expanded_bytes", 8 << 30), ("dataset_ingest_memory_bytes", 700 << 20)):
        monkeypatch.setattr(settings, name, value)
    me = await register()
    table = pa.table({"text": ["y" * (400 << 20)]})  # one 400 MB value: ~10 KB of zstd
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", use_dictionary=False)
    del table
    with _PeakRss() as rss:
        response = await _upload(client, me, ("huge.parquet", buffer.getvalue()))
    assert response.status_code == 413, response.text
    assert response.json()["detail"] == (
        "This file needs more memory to read than TuneForge allows (700.0 MB), so nothing was kept. Split it into "
        "smaller files or rows, or ask an admin to raise TUNEFORGE_DATASET_INGEST_MEMORY_BYTES.")
    assert rss.growth < 300
    assert (await client.get("/api/health")).status_code == 200
    after = await _upload(client, me, ("fine.jsonl", jsonl([chat("a", "b")])))
    assert after.status_code == 201, after.text
