"""The datasets API against real PostgreSQL: upload, issues, drop invalid rows, split, preview, render."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.datasets.helpers import chat, jsonl

BASE = "/api/teams/{team}/datasets"


def _files(*named: tuple[str, bytes]) -> list:
    return [("files", (name, content, "application/octet-stream")) for name, content in named]


async def _upload(client, account, *named, url=None, **fields):
    data = {k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in fields.items()}
    return await client.post(url or BASE.format(team=account.team_id), files=_files(*named), data=data,
                              headers=account.headers)


async def test_broken_line_drop_split_preview_and_render(client, register, settings):
    me = await register()
    body = jsonl([chat("hello", "hi there"), chat("apple", "fruit")]) + b'{"messages": [},\n' + jsonl(
        [chat(f"q{i}", f"a{i}") for i in range(17)])
    response = await _upload(client, me, ("chat.jsonl", body), name="Support chats", notes="first cut")
    assert response.status_code == 201, response.text
    result = response.json()
    v1 = result["version"]
    assert result["created"] is True and result["dataset"]["name"] == "Support chats"
    assert (v1["number"], v1["status"], v1["usable"], v1["kind"], v1["rows"]) == (1, "has_errors", False, "chat", 20)
    assert v1["stats"]["length"]["unit"] == "tokens" and v1["stats"]["length"]["tokenizer"] == "tiny-llama"
    assert v1["sources"] == [{"name": "chat.jsonl", "size": len(body), "sha256": v1["sources"][0]["sha256"]}]
    base = BASE.format(team=me.team_id) + f"/{result['dataset']['id']}/versions"

    issues = (await client.get(f"{base}/{v1['id']}/issues", headers=me.headers)).json()
    assert issues["total"] == 1 and issues["summary"]["errors"] == 1
    assert issues["items"][0]["message"] == "line 3: not valid JSON (unexpected '}' at column 15)"
    assert issues["items"][0]["row"] == 3

    split = await client.post(f"{base}/{v1['id']}/split", json={}, headers=me.headers)
    assert split.status_code == 409 and "Drop invalid rows" in split.json()["detail"]

    dropped = await client.post(f"{base}/{v1['id']}/drop-invalid", json={}, headers=me.headers)
    assert dropped.status_code == 201, dropped.text
    v2 = dropped.json()["version"]
    assert (v2["number"], v2["status"], v2["rows"], v2["parent_id"]) == (2, "usable", 19, v1["id"])
    assert v2["options"]["change"] == "Dropped 1 invalid rows from v1"

    split = await client.post(f"{base}/{v2['id']}/split", json={"train": 0.8, "validation": 0.2, "test": 0, "seed": 3},
                              headers=me.headers)
    assert split.status_code == 201, split.text
    v3 = split.json()["version"]
    assert v3["splits"] == ["train", "validation"] and v3["split"]["counts"] == {"train": 15, "validation": 4, "test": 0}
    again = await client.post(f"{base}/{v2['id']}/split", json={"train": 0.8, "validation": 0.2, "test": 0, "seed": 3},
                              headers=me.headers)
    assert again.status_code == 200 and again.json() == {**again.json(), "created": False}
    assert again.json()["version"]["id"] == v3["id"]

    page = (await client.get(f"{base}/{v3['id']}/rows", params={"split": "validation", "limit": 10}, headers=me.headers)).json()
    assert page["total"] == 4 and len(page["items"]) == 4 and page["split"] == "validation"

    history = (await client.get(base, headers=me.headers)).json()
    assert [v["number"] for v in history] == [3, 2, 1]

    # Three-way split, read back from the database: splits keep their reading order.
    three = await client.post(f"{base}/{v2['id']}/split", json={"train": 0.8, "validation": 0.1, "test": 0.1, "seed": 42},
                              headers=me.headers)
    v4 = (await client.get(f"{base}/{three.json()['version']['id']}", headers=me.headers)).json()
    assert v4["splits"] == ["train", "validation", "test"]
    assert list(v4["split"]["counts"]) == ["train", "validation", "test"]

    rendered = await client.get(f"{base}/{v2['id']}/rows/1/rendered", headers=me.headers)
    assert rendered.status_code == 200, rendered.text
    [segment] = rendered.json()["segments"]
    assert segment["text"] == "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\nhi there<|im_end|>\n"
    trained = "".join(t["text"] for t in segment["tokens"] if t["trained"])
    assert trained == "hi there<|im_end|>"
    assert 0 < segment["trained_tokens"] < segment["total_tokens"]


async def test_preview_shows_raw_and_normalised_rows_with_their_issues(client, register):
    me = await register()
    csv = b"instruction,input,output\nAdd,2 and 3,5\nGreet,,\n"
    result = (await _upload(client, me, ("alpaca.csv", csv))).json()
    version = result["version"]
    assert version["mapping"]["format"] == "alpaca" and result["dataset"]["name"] == "alpaca"
    url = BASE.format(team=me.team_id) + f"/{result['dataset']['id']}/versions/{version['id']}/rows"
    page = (await client.get(url, headers=me.headers)).json()
    first, second = page["items"]
    assert first["raw"] == {"instruction": "Add", "input": "2 and 3", "output": "5"}
    assert first["normalized"] == {"prompt": "Add\n\n2 and 3", "completion": "5"} and first["issues"] == []
    assert second["issues"][0]["message"] == "row 2 (line 3): the completion is empty"


async def test_identical_upload_returns_the_existing_version(client, register):
    me = await register()
    body = jsonl([chat("a", "b")])
    created = (await _upload(client, me, ("a.jsonl", body))).json()
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions"
    same = await _upload(client, me, ("renamed.jsonl", body), url=url)
    assert same.status_code == 200 and same.json()["created"] is False
    assert same.json()["version"]["id"] == created["version"]["id"]
    different = await _upload(client, me, ("b.jsonl", jsonl([chat("a", "c")])), url=url)
    assert different.status_code == 201 and different.json()["version"]["number"] == 2
    version = created["version"]
    download = await client.get(f"{url}/{version['id']}/download", headers=me.headers)
    assert download.status_code == 200 and download.content == jsonl([chat("a", "b")]).replace(b": ", b":").replace(b", ", b",")
    assert hashlib.sha256(download.content).hexdigest() == version["sha256"]
    stats = (await client.get(f"{url}/{version['id']}/stats", headers=me.headers)).json()
    assert (stats["kind"], stats["rows"], stats["status"], stats["stats"]["roles"]) == (
        "chat", 1, "usable", {"user": 1, "assistant": 1})


async def test_change_mapping_makes_a_new_version_and_bad_mappings_say_why(client, register):
    me = await register()
    rows = [{"q": "Why?", "a": "Because.", "text": "Why? Because."}]
    created = (await _upload(client, me, ("qa.jsonl", jsonl(rows)))).json()
    assert created["version"]["kind"] == "text"
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions/{created['version']['id']}/mapping"
    bad = await client.post(url, json={"mapping": {"kind": "prompt_completion", "columns": {"prompt": "question"}}},
                            headers=me.headers)
    assert bad.status_code == 400
    assert bad.json()["detail"] == ("The mapping does not fit this data: column 'question' (for 'prompt') is not in "
                                    "the file; its columns are q, a, text.")
    good = await client.post(url, json={"mapping": {"format": "prompt_completion",
                                                    "columns": {"prompt": "q", "completion": "a"}}}, headers=me.headers)
    assert good.status_code == 201, good.text
    version = good.json()["version"]
    assert (version["kind"], version["operation"], version["number"]) == ("prompt_completion", "mapping", 2)


async def test_unrecognised_columns_can_be_mapped_by_hand(client, register):
    me = await register()
    rows = [{"question_text": f"What is {i}+1?", "answer_text": str(i + 1)} for i in range(5)]
    created = (await _upload(client, me, ("odd.csv", b"question_text,answer_text\n" + b"".join(
        f"{r['question_text']},{r['answer_text']}\n".encode() for r in rows)))).json()
    version = created["version"]
    # Nothing recognised: the version is kept, unusable, and names the columns to map.
    assert version["status"] != "usable" and version["detection"]["candidates"] == []
    assert version["detection"]["columns"] == ["question_text", "answer_text"]
    formats = {f["name"]: f for f in (await client.get("/api/dataset-formats", headers=me.headers)).json()}
    assert formats["prompt_completion"]["required"] == {"prompt": ["prompt", "input", "query"],
                                                         "completion": ["completion", "response", "output"]}
    assert formats["alpaca"]["optional"] == {"input": ["input"]} and formats["kto"]["kind"] == "unpaired_preference"
    assert (await client.get("/api/dataset-formats")).status_code == 401

    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions/{version['id']}/mapping"
    mapped = await client.post(url, json={"mapping": {"format": "prompt_completion", "columns": {
        "prompt": "question_text", "completion": "answer_text"}}}, headers=me.headers)
    assert mapped.status_code == 201, mapped.text
    assert (mapped.json()["version"]["status"], mapped.json()["version"]["rows"]) == ("usable", 5)


async def test_upload_over_the_cap_is_refused_and_leaves_nothing(client, register, monkeypatch, data_dir, settings):
    monkeypatch.setattr(settings, "dataset_max_upload_bytes", 10_000)
    me = await register()
    before = sorted(p for p in (data_dir / "storage").rglob("*") if p.is_file())
    response = await _upload(client, me, ("a.jsonl", jsonl([chat("a", "b")])), ("big.jsonl", b"x" * 20_000))
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The upload is larger than the 9.8 KB limit, so nothing was kept.")
    assert sorted(p for p in (data_dir / "storage").rglob("*") if p.is_file()) == before
    assert (await client.get(BASE.format(team=me.team_id), headers=me.headers)).json() == []


async def test_file_names_are_labels_not_paths(client, register, data_dir):
    me = await register()
    response = await _upload(client, me, ("../../../../tmp/evil.jsonl", jsonl([chat("a", "b")])))
    assert response.status_code == 201
    assert response.json()["version"]["sources"][0]["name"] == "evil.jsonl"
    stored = [p for p in (data_dir / "storage").rglob("*") if p.is_file()]
    assert all(p.name != "evil.jsonl" for p in stored)


async def test_other_teams_datasets_answer_404(client, register):
    owner, stranger = await register(), await register()
    created = (await _upload(client, owner, ("a.jsonl", jsonl([chat("a", "b")])))).json()
    dataset_id, version_id = created["dataset"]["id"], created["version"]["id"]
    for url in (f"/{dataset_id}", f"/{dataset_id}/versions/{version_id}", f"/{dataset_id}/versions/{version_id}/rows"):
        response = await client.get(BASE.format(team=stranger.team_id) + url, headers=stranger.headers)
        assert response.status_code == 404, url
    response = await client.get(BASE.format(team=owner.team_id) + f"/{dataset_id}", headers=stranger.headers)
    assert response.status_code == 404
    upload = await _upload(client, stranger, ("b.jsonl", jsonl([chat("c", "d")])),
                           url=BASE.format(team=stranger.team_id) + f"/{dataset_id}/versions")
    assert upload.status_code == 404


async def test_delete_is_refused_while_a_job_uses_a_version(client, register, monkeypatch, data_dir):
    from tuneforge.datasets import service

    me = await register()
    created = (await _upload(client, me, ("a.jsonl", jsonl([chat("a", "b")])))).json()
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}"

    async def in_use(session, version_ids):
        return ["job 'sft-1' (running)"] if version_ids else []

    monkeypatch.setattr(service, "VERSION_USAGE_CHECKS", [in_use])
    refused = await client.delete(url, headers=me.headers)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("'a' is used by job 'sft-1' (running), so it cannot be deleted.")
    monkeypatch.setattr(service, "VERSION_USAGE_CHECKS", [])
    assert (await client.delete(url, headers=me.headers)).status_code == 204
    assert (await client.get(url, headers=me.headers)).status_code == 404
    assert not (data_dir / "storage" / "datasets" / created["dataset"]["id"]).exists()


async def test_duplicate_dataset_name_is_a_conflict_and_keeps_no_files(client, register, data_dir):
    me = await register()
    assert (await _upload(client, me, ("a.jsonl", jsonl([chat("a", "b")])), name="Same")).status_code == 201
    before = sorted(p for p in (data_dir / "storage").rglob("*") if p.is_file())
    response = await _upload(client, me, ("b.jsonl", jsonl([chat("c", "d")])), name="Same")
    assert response.status_code == 409 and "already exists" in response.json()["detail"]
    assert sorted(p for p in (data_dir / "storage").rglob("*") if p.is_file()) == before


@pytest.mark.parametrize("options", [{"base_model": "gpt-17"}, {"max_length": 1}])
async def test_invalid_options_are_explained(client, register, options):
    me = await register()
    response = await _upload(client, me, ("a.jsonl", jsonl([chat("a", "b")])), options=options)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The mapping/options form field is not valid:")


async def test_issues_are_paginated_and_filtered(client, register):
    me = await register()
    rows = [chat(f"q{i}", "") for i in range(7)] + [chat("a", "b")] * 2
    created = (await _upload(client, me, ("c.jsonl", jsonl(rows)))).json()
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions/{created['version']['id']}/issues"
    first = (await client.get(url, params={"limit": 5}, headers=me.headers)).json()
    second = (await client.get(url, params={"limit": 5, "offset": 5}, headers=me.headers)).json()
    assert first["total"] == 8 and len(first["items"]) == 5 and len(second["items"]) == 3
    assert [i["row"] for i in first["items"] + second["items"]] == [1, 2, 3, 4, 5, 6, 7, 9]
    warnings = (await client.get(url, params={"severity": "warning"}, headers=me.headers)).json()
    assert [i["message"] for i in warnings["items"]] == ["row 9: identical to row 8"]
    assert first["summary"]["by_code"] == {"empty_turn": 7, "duplicate": 1}


async def test_markdown_transcripts_with_participant_patterns(client, register):
    me = await register()
    transcript = b"**Me:** What is 2+2?\n\n**Bot:** 4.\n\n**Me:** Thanks\n\n**Bot:** Any time.\n"
    response = await _upload(client, me, ("chat.md", transcript),
                             options={"participants": {"user": ["**Me:**"], "assistant": ["**Bot:**"]}})
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert (version["kind"], version["mapping"]["format"], version["rows"], version["usable"]) == (
        "chat", "markdown_chat", 1, True)
    assert version["detection"]["title"] == "Chat transcripts (markdown)"


async def test_jobs_get_files_only_for_usable_versions(client, register, app):
    from tuneforge.datasets import service
    from tuneforge.errors import Conflict, NotFound
    from tuneforge.storage import get_storage

    me, other = await register(), await register()
    good = (await _upload(client, me, ("a.jsonl", jsonl([chat("a", "b")])))).json()["version"]
    bad = (await _upload(client, me, ("b.jsonl", jsonl([chat("a", "")])))).json()["version"]
    async with app.state.sessionmaker() as session:
        version, files = await service.training_files(session=session, storage=get_storage(), team_id=me.team_id,
                                                      version_id=good["id"])
        assert version.number == 1 and files["rows"].read_bytes().count(b"\n") == 1
        with pytest.raises(Conflict, match="has 1 errors and cannot be trained on"):
            await service.training_files(session=session, storage=get_storage(), team_id=me.team_id, version_id=bad["id"])
        with pytest.raises(NotFound):
            await service.training_files(session=session, storage=get_storage(), team_id=other.team_id,
                                         version_id=good["id"])


async def test_reading_options_can_change_without_a_new_upload(client, register):
    me = await register()
    transcript = b"User: hi\n\nBot: hello\n"
    created = (await _upload(client, me, ("chat.md", transcript))).json()
    assert created["version"]["kind"] == "text"
    url = BASE.format(team=me.team_id) + f"/{created['dataset']['id']}/versions/{created['version']['id']}/mapping"
    response = await client.post(url, json={"options": {"participants": {"user": ["User:"], "assistant": ["Bot:"]}}},
                                 headers=me.headers)
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert (version["kind"], version["rows"], version["operation"]) == ("chat", 1, "mapping")
    assert version["options"]["change"] == "v1: read again with participants changed"
    assert (await client.post(url, json={}, headers=me.headers)).status_code == 422


async def test_invalid_participant_regex_is_explained(client, register):
    me = await register()
    response = await _upload(client, me, ("chat.md", b"A: hi\n"),
                             options={"participants": {"user": [{"regex": "(oops"}], "assistant": ["B:"]}})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The participant patterns are not valid: user: '(oops' is not a valid")


async def test_upload_with_an_explicit_mapping(client, register):
    me = await register()
    rows = [{"q": "Why?", "a": "Because."}]
    response = await _upload(client, me, ("qa.jsonl", jsonl(rows)),
                             mapping={"format": "prompt_completion", "columns": {"prompt": "q", "completion": "a"}})
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert version["mapping"] == {"kind": "prompt_completion", "format": "prompt_completion",
                                  "columns": {"prompt": "q", "completion": "a"}}
    assert version["usable"] is True


async def test_rename_archive_and_render_refusals(client, register):
    me = await register()
    created = (await _upload(client, me, ("a.jsonl", b'{"messages": oops}\n' + jsonl([chat("a", "b")])))).json()
    base = BASE.format(team=me.team_id)
    url = f"{base}/{created['dataset']['id']}"
    (await _upload(client, me, ("b.jsonl", jsonl([chat("c", "d")])), name="Taken"))
    assert (await client.patch(url, json={"name": "Taken"}, headers=me.headers)).status_code == 409
    renamed = await client.patch(url, json={"name": "Renamed", "archived": True}, headers=me.headers)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed" and renamed.json()["archived"] is True
    assert [d["name"] for d in (await client.get(base, headers=me.headers)).json()] == ["Taken"]
    assert {d["name"] for d in (await client.get(base, params={"archived": True}, headers=me.headers)).json()} == {
        "Taken", "Renamed"}
    rendered = f"{url}/versions/{created['version']['id']}/rows"
    unreadable = await client.get(f"{rendered}/1/rendered", headers=me.headers)
    assert unreadable.status_code == 400 and unreadable.json()["detail"].startswith("Row 1 could not be read")
    assert (await client.get(f"{rendered}/9/rendered", headers=me.headers)).status_code == 404
    assert (await client.get(f"{rendered}/0/rendered", headers=me.headers)).status_code == 400
