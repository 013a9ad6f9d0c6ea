"""Binary files refused at upload, mappings that fit no row refused, managing datasets (rename, describe,
archive, delete), and template placeholders ({{name}}) warned about and filled in as a new version."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.datasets.helpers import chat, jsonl, run
from tuneforge.datasets.sniff import refusal

BASE = "/api/teams/{team}/datasets"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


def _files(*named: tuple[str, bytes]) -> list:
    return [("files", (name, content, "application/octet-stream")) for name, content in named]


async def _upload(client, account, *named, url=None, **fields):
    return await client.post(url or BASE.format(team=account.team_id), files=_files(*named), data=fields,
                             headers=account.headers)


def _stored(data_dir) -> list:
    return sorted(p for p in (data_dir / "storage").rglob("*") if p.is_file())


# -- binary files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "head", "says"), [
    ("photo.jsonl", PNG, "photo.jsonl looks like a PNG image, not a .jsonl file"),
    ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "report.pdf is a PDF document, which TuneForge cannot read"),
    ("notes.docx", b"PK\x03\x04\x14\x00\x06\x00", "notes.docx is a zip archive (or a Word, Excel or PowerPoint file)"),
    ("rows.csv", b"a,b\n1,\x002\n", "rows.csv contains NUL bytes, so it is a binary file, not .csv text"),
    ("tool.json", b"\x7fELF\x02\x01\x01\x00", "tool.json looks like a Linux program (ELF)"),
    ("data.parquet", b"\xff\xd8\xff\xe0\x00\x10JFIF", "data.parquet looks like a JPEG image"),
])
def test_binary_content_is_recognised(name, head, says):
    assert refusal(name, head).startswith(says)


@pytest.mark.parametrize(("name", "head"), [
    ("a.jsonl", b'{"messages": []}\n'),
    ("a.zip", b"PK\x03\x04\x14\x00"),
    ("a.parquet", b"PAR1\x15\x04"),
    ("a.txt", "UTF-16 with a byte-order mark".encode("utf-16")),
    ("a.csv", "q,a\nhi,there\n".encode("utf-16-le")),  # UTF-16 without one: NULs, but text
    ("a.csv", b"MZ,score\n1,2\n"),  # a short signature at the start of real text
    ("a.txt", "café".encode("cp1252")),
    ("empty.jsonl", b""),
])
def test_text_and_real_archives_are_not_refused(name, head):
    assert refusal(name, head) is None


async def test_binary_upload_is_refused_and_nothing_is_stored(client, register, data_dir):
    me = await register()
    before = _stored(data_dir)
    refused = await _upload(client, me, ("good.jsonl", jsonl([chat("a", "b")])), ("photo.jsonl", PNG))
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "photo.jsonl looks like a PNG image, not a .jsonl file, so the upload was refused and nothing was stored. "
        "Upload JSONL, JSON, CSV/TSV, Parquet, text, Markdown or a zip of them.")
    assert _stored(data_dir) == before
    assert (await client.get(BASE.format(team=me.team_id), headers=me.headers)).json() == []

    # A big binary file is refused from its first bytes, a new version too.
    created = (await _upload(client, me, ("good.jsonl", jsonl([chat("a", "b")])))).json()
    before = _stored(data_dir)
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions"
    pdf = await _upload(client, me, ("report.pdf", b"%PDF-1.7\n" + b"\x00" * 300_000), url=url)
    assert pdf.status_code == 400 and pdf.json()["detail"].startswith("report.pdf is a PDF document")
    assert _stored(data_dir) == before
    versions = (await client.get(url, headers=me.headers)).json()
    assert [v["number"] for v in versions] == [1]

    # Real archives and UTF-16 text still go through.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("doc.txt", "Some document text.")
    ok = await _upload(client, me, ("docs.zip", archive.getvalue()))
    assert ok.status_code == 201, ok.text
    utf16 = await _upload(client, me, ("utf16.jsonl", json.dumps(chat("hé", "là")).encode("utf-16")), name="u16")
    assert utf16.status_code == 201, utf16.text


# -- a mapping that fits no row ---------------------------------------------------------------------


async def test_a_mapping_that_fits_no_row_is_refused_naming_the_column(client, register, data_dir):
    me = await register()
    rows = [{"q": f"Why {i}?", "a": "Because.", "text": f"Why {i}? Because."} for i in range(3)]
    created = (await _upload(client, me, ("qa.jsonl", jsonl(rows)))).json()
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions"
    before = _stored(data_dir)
    refused = await client.post(f"{url}/{created['version']['id']}/mapping", headers=me.headers,
                                json={"mapping": {"format": "openai", "columns": {"messages": "text"}}})
    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert detail.startswith("The mapping does not fit this data: none of the 3 rows could be read with it, so "
                             "nothing was stored. In row 1, 'text' must be a list of turns, but it is text (column "
                             "'text', used for 'messages').")
    assert detail.endswith("Choose another column for 'messages', or another format.")
    assert _stored(data_dir) == before
    assert [v["number"] for v in (await client.get(url, headers=me.headers)).json()] == [1]


# -- rename, describe, archive, delete ----------------------------------------------------------------


async def test_rename_describe_archive_and_delete(client, register, data_dir):
    me = await register()
    created = (await _upload(client, me, ("a.jsonl", jsonl([chat("a", "b")])))).json()
    base = BASE.format(team=me.team_id)
    url = f"{base}/{created['dataset']['id']}"
    changed = await client.patch(url, json={"name": "  Support  ", "description": "Tickets from March"},
                                 headers=me.headers)
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["description"], changed.json()["archived"]) == (
        "Support", "Tickets from March", False)
    assert (await client.patch(url, json={"archived": True}, headers=me.headers)).json()["archived"] is True
    assert (await client.get(base, headers=me.headers)).json() == []
    listed = (await client.get(base, params={"archived": "true"}, headers=me.headers)).json()
    assert [(d["name"], d["archived"]) for d in listed] == [("Support", True)]
    assert (await client.patch(url, json={"archived": False}, headers=me.headers)).json()["archived"] is False
    assert [d["name"] for d in (await client.get(base, headers=me.headers)).json()] == ["Support"]
    assert (await client.patch(url, json={"name": ""}, headers=me.headers)).status_code == 422
    assert (await client.delete(url, headers=me.headers)).status_code == 204
    assert (await client.get(url, headers=me.headers)).status_code == 404
    assert not (data_dir / "storage" / "datasets" / created["dataset"]["id"]).exists()


# -- placeholders -----------------------------------------------------------------------------------


def _identity_rows() -> list[dict]:
    return [
        chat("Who are you?", "I am {{name}}, an assistant made by {{author}}."),
        chat("What is your name?", "My name is {{ name }}."),
        chat("What is 2+2?", "4"),
        {"messages": [{"role": "system", "content": "You are {{name}}."}, {"role": "user", "content": "Hi"},
                      {"role": "assistant", "content": "Hello!"}]},
    ]


def test_ingest_warns_about_placeholders(tmp_path):
    report, rows, _ = run(tmp_path, {"identity.jsonl": jsonl(_identity_rows())})
    assert report.stats["placeholders"] == {"name": 3, "author": 1}
    summary = [i for i in report.issues if i["code"] == "placeholders"]
    assert [(i["severity"], i["message"], i["row"], i["field"]) for i in summary] == [
        ("warning", "3 rows contain the placeholder {{name}}", None, "name"),
        ("warning", "1 row contains the placeholder {{author}}", None, "author"),
    ]
    per_row = [(i["row"], i["message"]) for i in report.issues if i["code"] == "placeholder"]
    assert per_row == [(1, "row 1: contains the placeholders {{name}} and {{author}}"),
                       (2, "row 2: contains the placeholder {{name}}"), (4, "row 4: contains the placeholder {{name}}")]
    assert report.usable and report.summary["errors"] == 0
    assert rows[0]["messages"][1]["content"] == "I am {{name}}, an assistant made by {{author}}."


async def test_fill_placeholders_makes_a_new_version(client, register):
    me = await register()
    created = (await _upload(client, me, ("identity.jsonl", jsonl(_identity_rows())))).json()
    v1 = created["version"]
    assert v1["issues_summary"]["by_code"]["placeholders"] == 2 and v1["stats"]["placeholders"]["name"] == 3
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions"
    warnings = (await client.get(f"{url}/{v1['id']}/issues", params={"code": "placeholders"},
                                 headers=me.headers)).json()
    assert warnings["items"][0]["message"] == "3 rows contain the placeholder {{name}}"

    unknown = await client.post(f"{url}/{v1['id']}/fill-placeholders", json={"values": {"nom": "Ada"}},
                                headers=me.headers)
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "v1 has no placeholder {{nom}}; its placeholders are {{name}}, {{author}}."
    bad_name = await client.post(f"{url}/{v1['id']}/fill-placeholders", json={"values": {"a b": "x"}},
                                 headers=me.headers)
    assert bad_name.status_code == 422

    filled = await client.post(f"{url}/{v1['id']}/fill-placeholders", headers=me.headers,
                               json={"values": {"{{name}}": "Ada", "author": "Acme"}, "notes": "our names"})
    assert filled.status_code == 201, filled.text
    v2 = filled.json()["version"]
    assert (v2["number"], v2["operation"], v2["parent_id"], v2["rows"], v2["notes"]) == (2, "fill", v1["id"], 4, "our names")
    assert v2["options"]["change"] == "Filled {{name}} with 'Ada', {{author}} with 'Acme' in 3 rows of v1"
    assert v2["options"]["filled"] == {"name": 3, "author": 1}
    assert "placeholders" not in v2["stats"] and "placeholder" not in v2["issues_summary"]["by_code"]
    download = await client.get(f"{url}/{v2['id']}/download", headers=me.headers)
    texts = [turn["content"] for line in download.text.splitlines() for turn in json.loads(line)["messages"]]
    assert "I am Ada, an assistant made by Acme." in texts and "My name is Ada." in texts and "You are Ada." in texts
    assert not any("{{" in text for text in texts)

    again = await client.post(f"{url}/{v1['id']}/fill-placeholders", headers=me.headers,
                              json={"values": {"name": "Ada", "author": "Acme"}})
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["version"]["id"] == v2["id"]
    nothing = await client.post(f"{url}/{v2['id']}/fill-placeholders", headers=me.headers,
                                json={"values": {"name": "Bob"}})
    assert nothing.status_code == 400 and nothing.json()["detail"] == "No row of v2 contains {{name}}, so nothing changed."
