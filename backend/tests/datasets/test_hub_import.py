"""Importing a dataset from the Hugging Face Hub: the real client against the loopback Hub (FakeHub)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tuneforge.huggingface.datasets import pick_files

HF_TOKEN = "hf_validtoken1234567890"  # alice's, in the fake_hub fixture
URL = "/api/teams/{team}/datasets/hub-imports"
TINY_SHA = "3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39"


async def test_public_import_detects_the_kind_and_records_the_source(client, register, fake_hub):
    me = await register()
    response = await client.post(URL.format(team=me.team_id), json={"hub_id": "tuneforge/tiny-chat"}, headers=me.headers)
    assert response.status_code == 201, response.text
    result = response.json()
    version = result["version"]
    assert result["created"] is True and result["dataset"]["name"] == "tuneforge/tiny-chat"
    assert (version["kind"], version["rows"], version["status"]) == ("chat", 12, "usable")
    source = version["options"]["source"]
    assert (source["hub_id"], source["revision"], source["config"], source["split"]) == (
        "tuneforge/tiny-chat", TINY_SHA, None, "train")
    assert [s["name"] for s in version["sources"]] == ["data/train-00000-of-00001.jsonl"]
    downloads = [r for r in fake_hub.requests if "/resolve/" in r["path"]]
    assert urlsplit(downloads[0]["path"]).path == f"/datasets/tuneforge/tiny-chat/resolve/{TINY_SHA}/data/train-00000-of-00001.jsonl"
    assert downloads[0]["authorization"] == ""

    # The test split, limited to 2 rows, as a new version of the same dataset.
    again = await client.post(URL.format(team=me.team_id), headers=me.headers, json={
        "hub_id": "tuneforge/tiny-chat", "split": "test", "row_limit": 2, "revision": TINY_SHA,
        "dataset_id": result["dataset"]["id"]})
    assert again.status_code == 201, again.text
    v2 = again.json()["version"]
    assert (v2["number"], v2["rows"], v2["parent_id"]) == (2, 2, version["id"])
    assert v2["options"]["row_limit"] == 2 and v2["options"]["source"]["split"] == "test"


async def test_private_dataset_needs_a_saved_token(client, register, fake_hub):
    me = await register()
    url = URL.format(team=me.team_id)
    refused = await client.post(url, json={"hub_id": "alice/private-qa"}, headers=me.headers)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "This dataset is private or gated: accept its terms on the Hub and save a token with access in Settings.")
    await client.put("/api/credentials/huggingface", json={"token": HF_TOKEN}, headers=me.headers)
    response = await client.post(url, json={"hub_id": "alice/private-qa", "name": "QA"}, headers=me.headers)
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert (version["kind"], version["rows"]) == ("prompt_completion", 5)
    assert fake_hub.requests[-1]["authorization"] == f"Bearer {HF_TOKEN}"
    assert HF_TOKEN not in response.text


async def test_missing_dataset_revision_and_bad_ids(client, register, fake_hub):
    me = await register()
    url = URL.format(team=me.team_id)
    missing = await client.post(url, json={"hub_id": "nobody/nothing"}, headers=me.headers)
    assert missing.status_code == 404 and missing.json()["detail"] == "No dataset 'nobody/nothing' (or no such revision) on the Hub."
    no_rev = await client.post(url, json={"hub_id": "tuneforge/tiny-chat", "revision": "v9"}, headers=me.headers)
    assert no_rev.status_code == 404
    no_split = await client.post(url, json={"hub_id": "tuneforge/tiny-chat", "split": "validation"}, headers=me.headers)
    assert no_split.status_code == 400 and "split 'validation'" in no_split.json()["detail"]
    for bad in ("no-slash", "../etc/passwd", "a/b/c", "a/b?x=1", "a/..", ""):
        response = await client.post(url, json={"hub_id": bad}, headers=me.headers)
        assert response.status_code == 422, bad
    assert not [r for r in fake_hub.requests if "/datasets/" in r["path"] and "nothing" not in r["path"]
                and "tiny-chat" not in r["path"]]


async def test_offline_hub_says_what_to_do_instead(client, register, settings):
    previous = settings.hf_endpoint
    settings.hf_endpoint = "http://127.0.0.1:9"  # nothing listens on the discard port
    try:
        me = await register()
        response = await client.post(URL.format(team=me.team_id), json={"hub_id": "tuneforge/tiny-chat"}, headers=me.headers)
    finally:
        settings.hf_endpoint = previous
    assert response.status_code == 503
    assert response.json()["detail"] == ("The Hugging Face Hub cannot be reached from this server. Download the "
                                         "dataset's files (JSONL, Parquet…) and upload them here.")


def test_the_file_picking_rule():
    files = ["README.md", "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet",
             "data/test-00000-of-00001.parquet", "extra/train.jsonl"]
    assert pick_files(files, config=None, split=None) == files[1:3]
    assert pick_files(files, config=None, split="test") == ["data/test-00000-of-00001.parquet"]
    configs = ["en/train.jsonl", "en/validation.jsonl", "fr/train.jsonl", "data/de/train-0.parquet"]
    assert pick_files(configs, config="fr", split=None) == ["fr/train.jsonl"]
    assert pick_files(configs, config="de", split="train") == ["data/de/train-0.parquet"]
    assert pick_files(["all.csv"], config=None, split=None) == ["all.csv"]
