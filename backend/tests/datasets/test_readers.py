"""Every supported file format, read and normalised, with exact locations for broken input."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.datasets.helpers import by_code, chat, jsonl, messages_of, run


def test_jsonl_openai_chat_is_detected_and_normalised(tmp_path):
    rows = [chat("Hi", "Hello!", system="Be brief."), chat("2+2?", "4")]
    report, out, data = run(tmp_path, {"chat.jsonl": jsonl(rows)})
    assert report.kind == "chat" and report.mapping["format"] == "openai"
    assert out == rows
    assert report.usable and report.summary["errors"] == 0
    assert report.sha256 == hashlib.sha256(data).hexdigest()


def test_bad_json_is_reported_with_line_and_column(tmp_path):
    good = json.dumps(chat("question", "answer"))
    head = '{"messages": [{"role": "user", "content": "'
    broken = head + "x" * (84 - len(head)) + '"},, {"role": "assistant", "content": "y"}]}'
    assert broken[87] == ","
    lines = [good] * 5370 + [broken] + [good] * 9
    report, out, _ = run(tmp_path, {"big.jsonl": ("\n".join(lines) + "\n").encode()})
    assert messages_of(report)[0] == "line 5,371: not valid JSON (unexpected ',' at column 88)"
    issue = report.issues[0]
    assert (issue["severity"], issue["row"], issue["line"], issue["column"]) == ("error", 5371, 5371, 88)
    assert "Drop invalid rows" in issue["hint"]
    # Nothing is lost: the broken line is kept, verbatim, in its place.
    assert len(out) == 5380 and out[5370] == {"_invalid": True, "raw": broken}
    assert not report.usable


def test_single_quotes_get_a_specific_hint(tmp_path):
    report, _, _ = run(tmp_path, {"a.jsonl": b"{'prompt': 'x', 'completion': 'y'}\n"})
    assert messages_of(report) == ["line 1: not valid JSON (unexpected \"'\" at column 2)"]
    assert "double quotes" in report.issues[0]["hint"]


def test_blank_lines_shift_rows_and_lines_apart(tmp_path):
    body = jsonl([chat("a", "b")]) + b"\n\n" + jsonl([chat("c", "")])
    report, out, _ = run(tmp_path, {"a.jsonl": body})
    assert messages_of(report) == ["row 2 (line 4): the assistant turn is empty"]
    assert len(out) == 2


def test_bom_and_crlf_jsonl(tmp_path):
    body = b"\xef\xbb\xbf" + jsonl([chat("caf\u00e9", "ok"), chat("b", "c")]).replace(b"\n", b"\r\n")
    report, out, _ = run(tmp_path, {"win.jsonl": body})
    assert report.usable and report.issues == []
    assert out[0]["messages"][0]["content"] == "caf\u00e9"


def test_latin1_csv_is_transcoded_with_a_notice(tmp_path):
    body = "prompt,completion\nQuelle boisson?,Un caf\u00e9 cr\u00e8me\nna\u00efve?,Oui\n".encode("latin-1")
    report, out, _ = run(tmp_path, {"fr.csv": body})
    assert out == [{"prompt": "Quelle boisson?", "completion": "Un caf\u00e9 cr\u00e8me"},
                   {"prompt": "na\u00efve?", "completion": "Oui"}]
    [notice] = by_code(report, "transcoded")
    assert notice["severity"] == "warning"
    assert notice["message"] == ("fr.csv: the file is not UTF-8; it was read as Windows-1252 (Western European) "
                                 "and converted to UTF-8")
    assert report.usable


def test_non_utf8_refused_when_transcoding_is_off(tmp_path):
    body = "prompt,completion\ncaf\u00e9,ok\n".encode("latin-1")
    report, out, _ = run(tmp_path, {"fr.csv": body}, allow_transcode=False)
    assert out == []
    assert messages_of(report)[0].startswith("fr.csv: the file is encoded as Windows-1252")
    assert "byte offset 21" in messages_of(report)[0]


def test_binary_file_is_refused(tmp_path):
    report, out, _ = run(tmp_path, {"data.jsonl": bytes(range(256)) * 4})
    assert out == [] and messages_of(report)[0] == "data.jsonl: this is a binary file, not text"


def test_csv_with_bom_crlf_and_quoted_newlines(tmp_path):
    body = ('\ufeffinstruction,input,output\r\n"Write a poem",,"Roses\r\nare red"\r\n'
            '"Summarise","line one\r\nline two\r\nline three",""\r\n').encode()
    report, out, _ = run(tmp_path, {"alpaca.csv": body})
    assert report.mapping == {"kind": "prompt_completion", "format": "alpaca",
                              "columns": {"instruction": "instruction", "output": "output", "input": "input"}}
    assert out[0] == {"prompt": "Write a poem", "completion": "Roses\r\nare red"}
    assert out[1]["prompt"] == "Summarise\n\nline one\r\nline two\r\nline three"
    # Row 2 starts on line 4 of the file (header on line 1, row 1 spans lines 2-3).
    assert messages_of(report) == ["row 2 (line 4): the completion is empty"]


def test_csv_row_with_too_many_values(tmp_path):
    report, out, _ = run(tmp_path, {"qa.csv": b"question,answer\nWhat?,This\nWhy,because,reasons\n"})
    assert messages_of(report) == ["row 2 (line 3): has 3 values but the header has 2 columns"]
    assert out[1] == {"_invalid": True, "raw": "Why,because,reasons"}


def test_tsv_dolly(tmp_path):
    body = b"instruction\tcontext\tresponse\tcategory\nName a fruit\t\tApple\tqa\nSummarise\tLong text\tShort\tsum\n"
    report, out, _ = run(tmp_path, {"dolly.tsv": body})
    assert report.mapping["format"] == "dolly"
    assert out == [{"prompt": "Name a fruit", "completion": "Apple"},
                   {"prompt": "Summarise\n\nLong text", "completion": "Short"}]
    assert report.stats["field_coverage"] == {"instruction": 1.0, "context": 0.5, "response": 1.0, "category": 1.0}


def test_json_array_and_object_with_one_list(tmp_path):
    rows = [{"question": "Q1", "answer": "A1"}, {"question": "Q2", "answer": "A2"}]
    report, out, _ = run(tmp_path, {"qa.json": json.dumps(rows, indent=2).encode()})
    assert report.mapping["format"] == "question_answer"
    assert out == [{"prompt": "Q1", "completion": "A1"}, {"prompt": "Q2", "completion": "A2"}]
    wrapped = {"version": 2, "meta": {"x": [1, 2]}, "data": rows, "extra": [{"a": 1}]}
    report, out, _ = run(tmp_path, {"qa.json": json.dumps(wrapped).encode()})
    assert len(out) == 2
    assert messages_of(report) == ["qa.json: the JSON object holds 2 lists ('data', 'extra'); only 'data' was read"]


def test_broken_json_array_reports_the_line(tmp_path):
    body = b'[\n  {"prompt": "a", "completion": "b"},\n  {"prompt": "c" "completion": "d"}\n]\n'
    report, out, _ = run(tmp_path, {"pc.json": body})
    assert out[0] == {"prompt": "a", "completion": "b"}
    assert messages_of(report) == ["line 3: not valid JSON (unexpected '\"' at column 18)"]
    assert "1 rows before it were" in report.issues[0]["hint"]


def test_parquet_read_by_row_group(tmp_path):
    table = pa.table({
        "prompt": [f"p{i}" for i in range(50)],
        "chosen": [f"good {i}" for i in range(50)],
        "rejected": [f"bad {i}" for i in range(50)],
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=7)
    report, out, _ = run(tmp_path, {"prefs.parquet": buffer.getvalue()})
    assert report.kind == "preference" and len(out) == 50
    assert out[49] == {"prompt": "p49", "chosen": "good 49", "rejected": "bad 49"}


def test_corrupt_parquet(tmp_path):
    report, out, _ = run(tmp_path, {"x.parquet": b"PAR1 not really"})
    assert out == [] and messages_of(report)[0].startswith("x.parquet: not a readable Parquet file")


def test_unsupported_extension(tmp_path):
    report, _, _ = run(tmp_path, {"sheet.xlsx": b"PK..."})
    assert messages_of(report) == ["sheet.xlsx: TuneForge cannot read .xlsx"]
    assert "export as CSV" in report.issues[0]["hint"]


def test_text_and_markdown_documents_are_chunked(tmp_path):
    paragraph = "word " * 30
    doc = "\n\n".join(f"# Part {i}\n{paragraph.strip()}" for i in range(10))
    report, out, _ = run(tmp_path, {"notes.md": doc.encode(), "more.txt": b"Short doc.\r\n"}, chunk_chars=400)
    assert report.kind == "text" and report.mapping["format"] == "documents"
    assert all(len(r["text"]) <= 400 for r in out)
    assert out[0]["text"].startswith("# Part 0\nword word")
    assert out[-1] == {"text": "Short doc."}
    assert "".join(r["text"] for r in out[:-1]).count("# Part") == 10


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zip_of_documents_skips_other_files_and_unsafe_names(tmp_path):
    body = _zip({
        "corpus/a.md": b"Alpha text.",
        "corpus/b.txt": "B\u00e9ta".encode("latin-1"),
        "corpus/image.png": b"\x89PNG",
        "../../etc/evil.txt": b"should not be read",
        "/abs/path.md": b"nor this",
    })
    report, out, _ = run(tmp_path, {"corpus.zip": body})
    assert out == [{"text": "Alpha text."}, {"text": "B\u00e9ta"}]
    unsafe = by_code(report, "zip_unsafe_name")
    assert [i["message"] for i in unsafe] == [
        "corpus.zip:../../etc/evil.txt: skipped: its path points outside the archive",
        "corpus.zip:/abs/path.md: skipped: its path points outside the archive",
    ]
    assert by_code(report, "transcoded")[0]["file"] == "corpus.zip:corpus/b.txt"
    assert by_code(report, "zip_skipped_files")[0]["message"].endswith("not .txt or .md: corpus/image.png")
    assert not (tmp_path.parent / "etc").exists() and not list(tmp_path.glob("**/evil.txt"))


def test_zip_over_the_uncompressed_cap_is_refused(tmp_path):
    from tuneforge.datasets.ingest.readers import LimitExceeded

    body = _zip({"big.txt": b"a" * 300_000, "small.md": b"hi"})
    assert len(body) < 5_000
    with pytest.raises(LimitExceeded, match=r"^This upload expands to more than 97.7 KB .* so nothing was read\. "):
        run(tmp_path, {"bomb.zip": body}, max_expanded_bytes=100_000)


def test_mixing_documents_and_rows_is_refused(tmp_path):
    report, out, _ = run(tmp_path, {"a.jsonl": jsonl([chat("a", "b")]), "b.md": b"text"})
    assert out == [] and by_code(report, "mixed_sources")


def test_several_files_name_the_file_in_locations(tmp_path):
    report, out, _ = run(tmp_path, {"one.jsonl": jsonl([chat("a", "b")]), "two.jsonl": jsonl([chat("c", "d"), chat("e", "")])})
    assert len(out) == 3
    assert messages_of(report) == ["row 3 (two.jsonl line 2): the assistant turn is empty"]
    assert report.stats["sources"] == [{"name": "one.jsonl", "rows": 1}, {"name": "two.jsonl", "rows": 2}]


def test_parquet_with_a_list_of_turns_column(tmp_path):
    turns = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string()), ("name", pa.string())]))
    table = pa.table({"messages": pa.array([[{"role": "user", "content": "hi", "name": None},
                                              {"role": "assistant", "content": "yo", "name": None}]], type=turns)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    report, out, _ = run(tmp_path, {"chat.parquet": buffer.getvalue()})
    assert report.kind == "chat" and out == [chat("hi", "yo")]


def test_utf16_jsonl_with_bom_is_transcoded(tmp_path):
    body = jsonl([chat("h\u00e9", "ok")]).decode().encode("utf-16")
    report, out, _ = run(tmp_path, {"u16.jsonl": body})
    assert out == [chat("h\u00e9", "ok")]
    assert messages_of(report) == ["u16.jsonl: the file is not UTF-8; it was read as UTF-16 and converted to UTF-8"]


def test_empty_and_header_only_files(tmp_path):
    report, out, _ = run(tmp_path, {"empty.jsonl": b""})
    assert out == [] and messages_of(report) == ["no rows were found"]
    report, out, _ = run(tmp_path, {"header.csv": b"prompt,completion\n"})
    assert out == [] and messages_of(report) == ["no rows were found"]
    assert not report.usable


def test_semicolon_separated_csv_from_a_spreadsheet(tmp_path):
    report, out, _ = run(tmp_path, {"excel.csv": b"question;answer\nWie viel?;Zwei, bitte\n"})
    assert out == [{"prompt": "Wie viel?", "completion": "Zwei, bitte"}]
    assert messages_of(report) == ["excel.csv: the columns are separated by semicolons, not commas; read that way"]
