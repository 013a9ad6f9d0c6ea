"""Datasets and the training library speak one data-kind vocabulary (tuneforge.training.data_kinds)."""

from __future__ import annotations

import json

import pytest

from tests.datasets.helpers import chat, jsonl, run
from tuneforge.datasets.ingest import CANONICAL_MAPPINGS, FORMATS, KINDS
from tuneforge.datasets.ingest.detect import DEFAULT_FORMAT_FOR_KIND, DOCUMENT_FORMATS
from tuneforge.training.data_kinds import DATA_KIND_DESCRIPTIONS, DATA_KINDS, METHOD_DATA_KINDS, row_kind
from tuneforge.training.spec import Target, TrainingSpec, check_spec


def test_every_kind_a_dataset_can_have_is_a_training_data_kind():
    produced = {f.kind for f in FORMATS.values()} | set(DOCUMENT_FORMATS.values())
    assert produced == set(KINDS) == set(CANONICAL_MAPPINGS) == set(DEFAULT_FORMAT_FOR_KIND)
    assert set(KINDS) <= set(DATA_KINDS)
    assert set(DATA_KINDS) == set(KINDS)  # prompt-only rows (GRPO) come from the prompt_only format
    assert set(DATA_KIND_DESCRIPTIONS) == set(DATA_KINDS)
    assert {k for kinds in METHOD_DATA_KINDS.values() for k in kinds} == set(DATA_KINDS)


@pytest.mark.parametrize(
    ("rows", "kind"),
    [
        ([chat("hi", "hello")], "chat"),
        ([{"instruction": "Add", "input": "2 and 3", "output": "5"}], "prompt_completion"),
        ([{"prompt": "P", "chosen": "good", "rejected": "bad"}], "preference"),
        ([{"prompt": "P", "completion": "C", "label": True}], "unpaired_preference"),
        ([{"text": "Some text"}], "text"),
    ],
)
def test_a_dataset_kind_is_what_the_training_library_reads_from_its_rows(tmp_path, rows, kind):
    report, out, _ = run(tmp_path, {"d.jsonl": jsonl(rows)})
    assert report.kind == kind == report.stats["kind"] == report.mapping["kind"]
    assert {row_kind(row) for row in out} == {kind}


def test_a_mapping_by_kind_takes_training_names_only(tmp_path):
    rows = [{"prompt": "P", "completion": "C", "label": "no"}]
    report, out, _ = run(tmp_path, {"k.jsonl": jsonl(rows)}, mapping={"kind": "unpaired_preference"})
    assert (report.kind, report.mapping["format"], out) == ("unpaired_preference", "kto", [{"prompt": "P", "completion": "C", "label": False}])
    report, out, _ = run(tmp_path, {"k.jsonl": jsonl(rows)}, mapping={"kind": "prompt"})
    assert (report.kind, report.mapping["format"], out) == ("prompt", "prompt_only", [{"prompt": "P"}])
    with pytest.raises(ValueError, match="unknown format 'tool_chat'"):
        run(tmp_path, {"k.jsonl": jsonl(rows)}, mapping={"format": "tool_chat"})


async def test_a_kto_upload_reports_unpaired_preference_and_trains_with_kto(client, register, tmp_path):
    me = await register()
    rows = [{"prompt": f"Is {i} even?", "completion": "yes" if i % 2 == 0 else "no", "label": i % 3 != 0}
            for i in range(12)]
    url = f"/api/teams/{me.team_id}/datasets"
    response = await client.post(url, files=[("files", ("kto.jsonl", jsonl(rows), "application/jsonl"))],
                                 data={"name": "Labelled answers"}, headers=me.headers)
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert (version["kind"], version["mapping"]["kind"], version["stats"]["kind"]) == ("unpaired_preference",) * 3

    info = (await client.get("/api/info", headers=me.headers)).json()
    assert [k["name"] for k in info["data_kinds"]] == list(DATA_KINDS)
    assert {k["name"]: k["description"] for k in info["data_kinds"]}["unpaired_preference"] == "labelled completions (good or bad)"
    trains_it = {m["name"] for m in info["methods"] if version["kind"] in m["data_kinds"]}
    assert trains_it == {"kto"}

    download = await client.get(f"{url}/{version['dataset_id']}/versions/{version['id']}/download", headers=me.headers)
    path = tmp_path / "rows.jsonl"
    path.write_bytes(download.content)
    assert [json.loads(line)["label"] for line in download.content.splitlines()] == [i % 3 != 0 for i in range(12)]
    spec = TrainingSpec.model_validate(
        {"method": "kto", "adapter": "full", "data": {"sources": [{"path": str(path)}]}, "output_dir": str(tmp_path / "out")})
    assert check_spec(spec, target=Target.standard_worker())["data_kind"] == version["kind"]
