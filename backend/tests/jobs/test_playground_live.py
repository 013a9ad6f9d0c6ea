"""The playground end to end on the live stack: a real worker trains tiny-llama with LoRA, then answers
chats with the version and its base side by side (blind), streaming over the WebSocket; picks, ratings
and edits become new versions of the team's feedback datasets; batch comparisons score answers; and the
refusals a user can run into (another team's ids, missing files, no worker, a prompt past the context)
say what is wrong.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
from pathlib import Path

import pytest
import websockets

from .conftest import CHAT_ROWS, Api

TERMINAL = ("done", "failed", "cancelled")


def _ws_url(api: Api, generation_id: str) -> str:
    return api.base_url.replace("http", "ws", 1) + f"/api/ws/generations/{generation_id}"


async def _stream(api: Api, generation_id: str, timeout: float = 180) -> tuple[list[dict], str]:
    """Reads a generation's socket until the server closes it; returns the messages and the text the
    deltas and snapshots add up to, as the browser builds it."""
    messages: list[dict] = []
    text = ""
    deadline = time.monotonic() + timeout
    async with websockets.connect(_ws_url(api, generation_id)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": api.token}))
        try:
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic())))
                messages.append(message)
                if message["kind"] == "snapshot":
                    text = message["generation"]["text"]
                elif message["kind"] == "delta":
                    text += message["text"]
        except websockets.ConnectionClosedOK:
            pass
    return messages, text


def _wait(api: Api, path: str, done, timeout: float = 240) -> dict:
    deadline = time.time() + timeout
    body = {}
    while time.time() < deadline:
        body = api.http.get(path).json()
        if done(body):
            return body
        time.sleep(0.3)
    raise AssertionError(f"timed out on {path}: {json.dumps(body)[:1500]}")


@pytest.fixture(scope="module")
def trained(live_api, live_env, log_dir):
    """One account with a tiny-llama LoRA version (trained by a real worker, which stays up)."""
    from .conftest import LiveProcess
    import sys

    api = Api(live_api["url"]).register(f"play-{uuid.uuid4().hex[:8]}@example.com")
    worker = LiveProcess("playground-worker", [sys.executable, "-m", "tuneforge.cli", "worker", "--name", "playground-worker"],
                         live_env, log_dir)
    try:
        _wait(api, "/api/info", lambda info: any(w["name"] == "playground-worker" for w in info["workers"]), timeout=90)
        # Every answer starts alike, so a few steps teach the tiny model to write something before it stops.
        rows = [{"messages": [row["messages"][0], {"role": "assistant", "content": f"The sum is {row['messages'][1]['content']}."}]}
                for row in CHAT_ROWS]
        dataset_version = api.upload_jsonl("sums", rows)
        job = api.create_job(dataset_version, name="sums-bot", hyperparameters={"max_steps": 16})
        done = api.wait_for(job["id"], lambda j: j["status"] in ("succeeded", "failed", "cancelled"), timeout=300)
        assert done["status"] == "succeeded", (done["message"], worker.log_tail())
        version = api.http.get(f"/api/jobs/{job['id']}/model-version").json()
        yield {"api": api, "version": version, "dataset_version": dataset_version, "worker": worker,
               "output": Path(live_env["TUNEFORGE_DATA_DIR"]) / "storage" / "jobs" / job["id"] / "output"}
    finally:
        worker.stop(timeout=90)
        print(f"--- playground worker log tail ---\n{worker.log_tail(20000)}")


def _rows(api: Api, saved: dict) -> list[dict]:
    """The canonical rows of the dataset version a feedback save made."""
    page = api.http.get(f"/api/teams/{api.team_id}/datasets/{saved['dataset_id']}/versions/{saved['dataset_version_id']}/rows",
                        params={"limit": 200})
    assert page.status_code == 200, page.text
    return [item["normalized"] for item in page.json()["items"]]


def _turn(api: Api, targets: list[dict], *, blind: bool = False, content: str = "What is 3 plus 4?", **params) -> dict:
    response = api.http.post(f"/api/teams/{api.team_id}/playground/turns", json={
        "messages": [{"role": "user", "content": content}], "targets": targets, "blind": blind,
        "params": {"max_new_tokens": 12, **params},
    })
    assert response.status_code == 201, response.text
    return response.json()


def test_blind_side_by_side_streams_then_a_pick_reveals_and_saves_a_preference_row(trained):
    api, version = trained["api"], trained["version"]
    workers = api.http.get(f"/api/teams/{api.team_id}/playground/workers").json()
    assert workers["online"] >= 1 and workers["max_model_bytes"] > 0 and workers["note"] is None

    turn = _turn(api, [{"version_id": version["id"]}, {"version_id": version["id"], "base": True}], blind=True)
    assert turn["blind"] and not turn["revealed"]
    assert [a["side"] for a in turn["answers"]] == ["A", "B"]
    assert all(a["label"] is None and a["version_id"] is None for a in turn["answers"]), "a blind turn names no model"

    streamed, statuses = {}, {}
    for answer in turn["answers"]:
        messages, text = asyncio.run(_stream(api, answer["id"]))
        final = messages[-1]["generation"]
        assert final["status"] == "done", final
        assert text == final["text"] and text.strip(), "the streamed pieces add up to the stored answer"
        assert final["label"] is None and final["rendered_prompt"] is None, "still blind while streaming"
        assert final["finish_reason"] in ("stop", "length")
        assert final["stats"]["first_token_ms"] > 0 and final["stats"]["new_tokens"] >= 1
        assert final["stats"]["tokens_per_s"] is None or final["stats"]["tokens_per_s"] > 0
        streamed[answer["side"]] = final
        statuses[answer["side"]] = [m["generation"]["status"] for m in messages if m["kind"] == "snapshot"]
    kinds = [m["kind"] for m in messages]
    assert kinds[0] == "snapshot" and kinds[-1] == "snapshot"
    assert statuses["B"][-1] == "done"

    picked = api.http.post(f"/api/playground/turns/{turn['id']}/pick", json={"choice": "a"})
    assert picked.status_code == 200, picked.text
    result = picked.json()
    assert result["turn"]["revealed"] and result["turn"]["pick"] == "a"
    # Revealed now: one side is the version, the other its base (which is A was chance).
    labels = sorted(a["label"] for a in result["turn"]["answers"])
    assert labels[0].startswith(f"base of sums-bot v{version['number']}") and labels[1] == f"sums-bot v{version['number']}"
    assert {a["base"] for a in result["turn"]["answers"]} == {True, False}
    assert result["turn"]["answers"][0]["rendered_prompt"].endswith(
        result["turn"]["answers"][0]["rendered_prompt"][-5:]) and "3 plus 4" in result["turn"]["answers"][0]["rendered_prompt"]
    saved = result["saved"]
    assert saved["kind"] == "preference" and saved["method"] == "dpo" and saved["rows"] >= 1
    assert saved["dataset_name"] == "Playground preferences"

    # The new dataset version holds the row: the whole conversation as the prompt, chosen = side A's answer.
    row = _rows(api, saved)[-1]
    assert row["prompt"][-1]["content"] == "What is 3 plus 4?"
    assert row["chosen"][0]["content"] == streamed["A"]["text"]
    assert row["rejected"][0]["content"] == streamed["B"]["text"]
    again = api.http.post(f"/api/playground/turns/{turn['id']}/pick", json={"choice": "b"})
    assert again.status_code == 409

    feedback = api.http.get(f"/api/teams/{api.team_id}/playground/feedback").json()
    assert [f["kind"] for f in feedback] == ["preference"] and feedback[0]["latest_version_id"] == saved["dataset_version_id"]


def test_ratings_and_edits_make_kto_and_sft_versions_and_each_save_is_a_new_version(trained):
    api, version = trained["api"], trained["version"]
    turn = _turn(api, [{"version_id": version["id"]}], system="Answer with a number.")
    answer = turn["answers"][0]
    assert turn["revealed"] and answer["label"] == f"sums-bot v{version['number']}"
    messages, _ = asyncio.run(_stream(api, answer["id"]))
    final = messages[-1]["generation"]
    # The version was loaded by the earlier turns: the worker's cache answers at once, never "loading".
    assert final["stats"]["cold"] is False and final["status"] == "done"
    assert "loading" not in [m["generation"]["status"] for m in messages if m["kind"] == "snapshot"]
    assert "Answer with a number." in final["rendered_prompt"] and "What is 3 plus 4?" in final["rendered_prompt"]

    up = api.http.post(f"/api/playground/generations/{answer['id']}/rating", json={"rating": "up"}).json()
    assert up["saved"]["kind"] == "rating" and up["saved"]["method"] == "kto" and up["saved"]["rows"] == 1
    assert up["turn"]["answers"][0]["rating"] == "up"
    assert api.http.post(f"/api/playground/generations/{answer['id']}/rating", json={"rating": "down"}).status_code == 409

    edited = api.http.post(f"/api/playground/generations/{answer['id']}/edit", json={"text": "7"}).json()
    assert edited["saved"]["kind"] == "edit" and edited["saved"]["method"] == "sft" and edited["saved"]["rows"] == 1
    row = _rows(api, edited["saved"])[0]
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    assert row["messages"][0]["content"] == "Answer with a number." and row["messages"][-1]["content"] == "7"

    # A second rating on another answer: version 2 of the ratings dataset, with both rows.
    second = _turn(api, [{"version_id": version["id"]}], content="What is 1 plus 1?")
    _wait(api, f"/api/playground/generations/{second['answers'][0]['id']}", lambda g: g["status"] in TERMINAL)
    down = api.http.post(f"/api/playground/generations/{second['answers'][0]['id']}/rating", json={"rating": "down"}).json()
    assert down["saved"]["dataset_id"] == up["saved"]["dataset_id"]
    assert down["saved"]["version_number"] == up["saved"]["version_number"] + 1 and down["saved"]["rows"] == 2


def test_cancel_stops_an_answer_and_keeps_its_text(trained):
    api, version = trained["api"], trained["version"]
    turn = _turn(api, [{"version_id": version["id"]}, {"version_id": version["id"], "base": True}], max_new_tokens=4000,
                 temperature=1.0, seed=1)
    second = turn["answers"][1]
    cancelled = api.http.post(f"/api/playground/generations/{second['id']}/cancel")
    assert cancelled.status_code == 200
    final = _wait(api, f"/api/playground/generations/{second['id']}", lambda g: g["status"] in TERMINAL)
    assert final["status"] == "cancelled" and final["finish_reason"] == "cancelled"
    first = api.http.post(f"/api/playground/generations/{turn['answers'][0]['id']}/cancel")
    assert first.status_code == 200
    final = _wait(api, f"/api/playground/generations/{turn['answers'][0]['id']}", lambda g: g["status"] in TERMINAL)
    assert final["status"] in ("cancelled", "done")
    if final["status"] == "cancelled":
        assert final["stats"].get("new_tokens", 0) < 4000


def test_a_prompt_past_the_context_is_refused_with_the_limit(trained):
    api, version = trained["api"], trained["version"]
    turn = _turn(api, [{"version_id": version["id"]}], content="plus " * 5000)
    final = _wait(api, f"/api/playground/generations/{turn['answers'][0]['id']}", lambda g: g["status"] in TERMINAL)
    assert final["status"] == "failed"
    assert "tokens" in final["error"] and "at most" in final["error"], final["error"]


def test_batch_compare_scores_each_model_and_a_row_pick_feeds_the_preference_dataset(trained):
    api, version = trained["api"], trained["version"]
    created = api.http.post(f"/api/teams/{api.team_id}/batch-compares", json={
        "dataset_version_id": trained["dataset_version"], "max_rows": 3,
        "targets": [{"version_id": version["id"]}, {"version_id": version["id"], "base": True}],
        "params": {"max_new_tokens": 6},
    })
    assert created.status_code == 201, created.text
    batch = _wait(api, f"/api/batch-compares/{created.json()['id']}", lambda b: b["status"] in ("done", "failed", "cancelled"))
    assert batch["status"] == "done", batch["error"]
    assert batch["total_rows"] == 6 and batch["done_rows"] == 6
    assert len(batch["rows"]) == 3 and all(len(r["answers"]) == 2 and r["reference"] for r in batch["rows"])
    assert len(batch["metrics"]) == 2 and {"exact_match", "token_f1", "rougeL", "bleu"} <= set(batch["metrics"][0])
    assert batch["metrics"][0]["rows_scored"] == 3
    assert batch["targets"][1]["label"].startswith("base of sums-bot")
    listed = api.http.get(f"/api/teams/{api.team_id}/batch-compares").json()
    assert listed[0]["id"] == batch["id"]

    before = {f["kind"]: f for f in api.http.get(f"/api/teams/{api.team_id}/playground/feedback").json()}
    picked = api.http.post(f"/api/batch-compares/{batch['id']}/picks", json={"row": 0, "choice": 0})
    assert picked.status_code == 200, picked.text
    saved = picked.json()["saved"]
    assert saved["kind"] == "preference"
    if "preference" in before:
        assert saved["rows"] == before["preference"]["rows"] + 1
    assert api.http.get(f"/api/batch-compares/{batch['id']}").json()["rows"][0]["pick"] == 0
    assert api.http.post(f"/api/batch-compares/{batch['id']}/picks", json={"row": 9, "choice": 0}).status_code == 400


def test_another_teams_ids_answer_404(trained, live_api):
    api, version = trained["api"], trained["version"]
    turn = _turn(api, [{"version_id": version["id"]}])
    other = Api(live_api["url"]).register(f"other-{uuid.uuid4().hex[:8]}@example.com")
    refused = other.http.post(f"/api/teams/{other.team_id}/playground/turns", json={
        "messages": [{"role": "user", "content": "hi"}], "targets": [{"version_id": version["id"]}]})
    assert refused.status_code == 404 and "team you are not in" in refused.json()["detail"]
    assert other.http.get(f"/api/playground/turns/{turn['id']}").status_code == 404
    assert other.http.get(f"/api/playground/generations/{turn['answers'][0]['id']}").status_code == 404
    assert other.http.post(f"/api/playground/generations/{turn['answers'][0]['id']}/cancel").status_code == 404
    assert other.http.post(f"/api/teams/{api.team_id}/playground/turns", json={
        "messages": [{"role": "user", "content": "hi"}], "targets": [{"version_id": version["id"]}]}).status_code == 404

    async def denied() -> int | None:
        async with websockets.connect(_ws_url(other, turn["answers"][0]["id"])) as ws:
            await ws.send(json.dumps({"type": "auth", "token": other.token}))
            try:
                await asyncio.wait_for(ws.recv(), timeout=10)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
        return None

    assert asyncio.run(denied()) == 4404


def test_blind_turns_put_the_models_on_sides_by_chance(trained):
    """Which model answers as A is not the order the user chose them in (else blind mode hides nothing)."""
    api, version = trained["api"], trained["version"]
    firsts = set()
    for _ in range(20):
        turn = _turn(api, [{"version_id": version["id"]}, {"version_id": version["id"], "base": True}], blind=True,
                     max_new_tokens=1)
        for answer in turn["answers"]:
            api.http.post(f"/api/playground/generations/{answer['id']}/cancel")
        for answer in turn["answers"]:
            _wait(api, f"/api/playground/generations/{answer['id']}", lambda g: g["status"] in TERMINAL)
        tie = api.http.post(f"/api/playground/turns/{turn['id']}/pick", json={"choice": "tie"})
        assert tie.status_code == 200, tie.text  # a tie needs no text: stopped answers can still be resolved
        revealed = tie.json()["turn"]
        assert revealed["revealed"] and tie.json()["saved"] is None
        firsts.add(revealed["answers"][0]["base"])
        if len(firsts) == 2:
            break
    assert firsts == {True, False}


def test_missing_files_and_no_worker_are_refused_with_what_to_do(trained):
    """Last in the module: it removes the version's files and stops the worker."""
    api, version = trained["api"], trained["version"]
    body = {"messages": [{"role": "user", "content": "hi"}], "targets": [{"version_id": version["id"]}]}
    bad = api.http.post(f"/api/teams/{api.team_id}/playground/turns", json={**body, "messages": [{"role": "assistant", "content": "x"}]})
    assert bad.status_code == 422

    trained["worker"].stop(timeout=90)
    refused = api.http.post(f"/api/teams/{api.team_id}/playground/turns", json=body)
    assert refused.status_code == 503 and "tuneforge worker" in refused.json()["detail"], refused.text

    shutil.rmtree(trained["output"])
    missing = api.http.post(f"/api/teams/{api.team_id}/playground/turns", json=body)
    assert missing.status_code == 409 and "files of this model version are missing" in missing.json()["detail"]
    page = api.http.get(f"/api/model-versions/{version['id']}").json()
    assert page["files_missing"] is True

