"""The playground end to end in Chromium, through nginx (issue #10's test, after test_models_flow.py's
finished jobs → versions with lineage → compare): v2's page → "Open in playground" → side B = v1, blind →
both answers stream over the WebSocket and finish with no model named → "A is better" → the names are
revealed and the pick is saved as a new version of "Playground preferences" holding that row (checked
through the API against the text the page showed) → "Train on this feedback" opens the wizard on DPO, that
dataset version and v2 as the base model. Then one answer alone, thumbs up: a KTO row in "Playground ratings".

The playground after the pick is screenshotted at 1280×800 and 390×844 (the folder is named at the end of
the run), passes axe-core's WCAG 2 A/AA rules with no serious or critical violation, and at phone width
scrolls only vertically. The models are conftest's `sums_model` (shared with test_models_flow.py).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Locator, Page, WebSocket, expect

from stack import SUMS_MODEL, TrainedModel, User
from test_newcomer import DESKTOP, PHONE, Journey

BLIND_QUESTION = "What is 3 plus 4?"
SINGLE_QUESTION = "What is 2 plus 5?"
# Short answers: tiny-llama is quick, but a screenful of tokens says nothing more.
MAX_NEW_TOKENS = "12"
# The first answer loads tiny-llama and both adapters on the worker.
ANSWER_TIMEOUT_MS = 90_000


def answer_text(answer: Locator) -> str:
    """The answer exactly as the page holds it (textContent, not the rendered, whitespace-folded text)."""
    return answer.get_by_test_id("answer-text").text_content() or ""


def wait_finished(answer: Locator) -> str:
    expect(answer.get_by_text("finished", exact=True)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer.get_by_test_id("answer-stats")).to_contain_text(re.compile(r"first token \d+ ms .*\d+ new tokens"))
    text = answer_text(answer)
    assert text.strip(), f"{answer} finished without text (the model ended its turn at once): it could not be picked"
    return text


def feedback_rows(api_client: httpx.Client, user: User, team_id: str, kind: str) -> tuple[dict, list[dict]]:
    """The team's feedback dataset of `kind` (its latest version) and that version's rows, as stored."""
    found = api_client.get(f"/api/teams/{team_id}/playground/feedback", headers=user.headers)
    assert found.status_code == 200, found.text
    dataset = next(d for d in found.json() if d["kind"] == kind)
    rows = api_client.get(
        f"/api/teams/{team_id}/datasets/{dataset['dataset_id']}/versions/{dataset['latest_version_id']}/rows",
        headers=user.headers,
        params={"limit": 200},
    )
    assert rows.status_code == 200, rows.text
    return dataset, [item["normalized"] for item in rows.json()["items"]]


def query_of(href: str | None) -> dict[str, str]:
    assert href, "the link has no href"
    return {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}


@pytest.mark.timeout(300)  # the first test to ask for `sums_model` waits for its two runs too
def test_blind_pick_becomes_a_preference_row_and_trains_dpo(
    sums_model_page: Page,
    sums_model: TrainedModel,
    sums_model_owner: User,
    api_client: httpx.Client,
    playground_screenshot_folder: Path,
) -> None:
    started = time.monotonic()
    page, owner, team_id = sums_model_page, sums_model_owner, sums_model.team_id
    v1, v2 = sums_model.v1, sums_model.v2
    # What each answer's WebSocket brought the page, by answer id.
    frames: dict[str, list[dict]] = {}

    def on_socket(ws: WebSocket) -> None:
        found = re.search(r"/api/ws/generations/([0-9a-f-]{36})", ws.url)
        if found:
            received = frames.setdefault(found.group(1), [])
            ws.on("framereceived", lambda payload: received.append(json.loads(payload)))

    page.on("websocket", on_socket)

    # 1. v2's page → "Open in playground": side A is v2, side B its base; B becomes v1, blind.
    page.goto(f"/models/versions/{v2['id']}")
    expect(page.get_by_role("heading", name=f"{SUMS_MODEL} v2", level=1)).to_be_visible()
    page.get_by_role("link", name="Open in playground").click()
    expect(page.get_by_role("heading", name="Playground", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/playground\?version={v2['id']}&compare=base$"))
    expect(page.get_by_label("Side A: model version")).to_have_value(v2["id"])
    side_b = page.get_by_label("Side B (optional)")
    expect(side_b).to_have_value("base")
    side_b.select_option(v1["id"])
    page.get_by_label("Blind", exact=True).check()
    page.get_by_label("Max new tokens").fill(MAX_NEW_TOKENS)

    # 2. A message: both answers stream (one WebSocket each) and finish, neither side named.
    page.get_by_label("Your message").fill(BLIND_QUESTION)
    page.get_by_role("button", name="Send").click()
    conversation = page.get_by_role("list", name="Conversation")
    answer_a = conversation.get_by_role("article", name="Answer A")
    answer_b = conversation.get_by_role("article", name="Answer B")
    expect(conversation.get_by_text(BLIND_QUESTION, exact=True)).to_be_visible()
    for answer in (answer_a, answer_b):
        expect(answer.get_by_text("Model hidden until you pick")).to_be_visible()
    text_a, text_b = wait_finished(answer_a), wait_finished(answer_b)
    expect(conversation).not_to_contain_text(SUMS_MODEL)
    expect(conversation.get_by_text("Model hidden until you pick")).to_have_count(2)
    expect(conversation.get_by_text("Show prompt as the model sees it")).to_have_count(0)
    expect(conversation.get_by_role("button", name="Thumbs up")).to_have_count(0)  # no rating before the pick
    # One socket per answer, which streamed pieces and ended on the finished answer, never naming its model.
    latest = api_client.get(f"/api/teams/{team_id}/playground/turns", headers=owner.headers, params={"limit": 1})
    assert latest.status_code == 200, latest.text
    ids = [a["id"] for a in latest.json()[0]["answers"]]

    def ended() -> bool:
        return all(any(f["kind"] == "snapshot" and f["generation"]["status"] == "done" for f in frames.get(i, [])) for i in ids)

    for _ in range(50):  # the page has the frames already; Playwright hands them over a moment later
        if ended():
            break
        page.wait_for_timeout(100)
    summary = {i: [f["kind"] for f in frames.get(i, [])] for i in ids}
    assert sorted(frames) == sorted(ids) and ended(), f"answer sockets: {summary}"
    assert any("delta" in kinds for kinds in summary.values()), f"no piece streamed: {summary}"
    print(f"answer sockets: {summary}")
    snapshots = [f["generation"] for got in frames.values() for f in got if f["kind"] == "snapshot"]
    assert all(g["label"] is None and g["version_id"] is None for g in snapshots), "a blind answer's socket named its model"

    # 3. "A is better": the sides are named, the pick is saved as a new version of the preference dataset.
    picks = conversation.get_by_role("group", name="Which answer is better?")
    picks.get_by_role("button", name="A is better").click()
    expect(conversation.get_by_text("You picked answer A.")).to_be_visible()
    expect(picks).to_have_count(0)
    # Blind turns put the models on the sides by chance: the reveal says which answer was which.
    expect(answer_a).to_contain_text(re.compile(rf"{SUMS_MODEL} v[12](?!\d)"))
    a_is_v2 = f"{SUMS_MODEL} v2" in answer_a.inner_text()
    picked, other = (v2, v1) if a_is_v2 else (v1, v2)
    expect(answer_a).to_contain_text(f"{SUMS_MODEL} v{picked['number']}")
    expect(answer_b).to_contain_text(f"{SUMS_MODEL} v{other['number']}")
    expect(conversation.get_by_text("Model hidden until you pick")).to_have_count(0)
    saved = conversation.get_by_role("status").filter(has_text="Saved to")
    expect(saved).to_have_text(re.compile(r"^Saved to Playground preferences v1 \(1 row\)\. Train on this feedback$"))
    train = saved.get_by_role("link", name="Train on this feedback")
    link = query_of(train.get_attribute("href"))
    assert link["method"] == "dpo" and link["base_model"] == f"version:{picked['id']}", link  # the picked answer's
    expect(page.get_by_text(re.compile(r"^picks · v1 · 1 row · trains DPO$"))).to_be_visible()  # Feedback datasets

    # The playground after the pick at a laptop's and a phone's width: screenshots, axe, no sideways scroll.
    # From the top (the click scrolled down): the sticky sidebar is then drawn where a user sees it.
    page.evaluate("() => window.scrollTo(0, 0)")
    Journey(page, "playground-1280", playground_screenshot_folder).check("after-pick")
    page.set_viewport_size(PHONE)
    page.evaluate("() => window.scrollTo(0, 0)")
    Journey(page, "playground-390", playground_screenshot_folder).check("after-pick")
    page.set_viewport_size(DESKTOP)

    # 4. The dataset version the link names holds the row: the conversation, chosen = what A showed.
    dataset, rows = feedback_rows(api_client, owner, team_id, "preference")
    assert dataset["dataset_name"] == "Playground preferences" and dataset["latest_version_number"] == 1, dataset
    assert link["dataset_version"] == dataset["latest_version_id"]
    assert rows == [
        {
            "prompt": [{"role": "user", "content": BLIND_QUESTION}],
            "chosen": [{"role": "assistant", "content": text_a}],
            "rejected": [{"role": "assistant", "content": text_b}],
        }
    ], rows

    # 5. "Train on this feedback": the wizard on DPO, the picked version as the base model, that dataset version.
    train.click()
    expect(page.get_by_role("heading", name="Step 1 of 6: Goal")).to_be_visible()
    expect(page.get_by_text("Prefilled from the link: method DPO, the base model, the dataset version are chosen.")).to_be_visible()
    expect(page.get_by_label("Direct preference optimisation (DPO)")).to_be_checked()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 2 of 6: Base model")).to_be_visible()
    expect(page.get_by_label("A model version")).to_be_checked()
    base = page.get_by_label("Model version", exact=True)
    expect(base).to_have_value(f"version:{picked['id']}")
    expect(base.locator("option:checked")).to_have_text(re.compile(rf"^Continue from {SUMS_MODEL} v{picked['number']}\b"))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 3 of 6: Dataset")).to_be_visible()
    expect(page.get_by_label("Playground preferences · v1")).to_be_checked()

    # 6. One answer alone (side B: none), thumbs up: a KTO row in "Playground ratings".
    page.go_back()
    expect(page.get_by_role("heading", name="Playground", level=1)).to_be_visible()
    page.get_by_label("Side B (optional)").select_option("")
    expect(page.get_by_label("Blind", exact=True)).to_have_count(0)
    page.get_by_label("Max new tokens").fill(MAX_NEW_TOKENS)
    page.get_by_label("Your message").fill(SINGLE_QUESTION)
    page.get_by_role("button", name="Send").click()
    answer = conversation.get_by_role("article", name="Answer", exact=True)
    expect(answer).to_contain_text(f"{SUMS_MODEL} v2")  # not blind: named while it is written
    text = wait_finished(answer)
    answer.get_by_role("button", name="Thumbs up").click()
    expect(answer.get_by_role("button", name="Thumbs up")).to_have_attribute("aria-pressed", "true")
    expect(answer.get_by_text("Rated good.")).to_be_visible()
    saved = conversation.get_by_role("status").filter(has_text="Saved to")
    expect(saved).to_have_text(re.compile(r"^Saved to Playground ratings v1 \(1 row\)\. Train on this feedback$"))
    link = query_of(saved.get_by_role("link", name="Train on this feedback").get_attribute("href"))
    assert link["method"] == "kto" and link["base_model"] == f"version:{v2['id']}", link
    expect(page.get_by_text(re.compile(r"^thumbs up and down · v1 · 1 row · trains KTO$"))).to_be_visible()
    dataset, rows = feedback_rows(api_client, owner, team_id, "rating")
    assert link["dataset_version"] == dataset["latest_version_id"]
    assert rows == [
        {"prompt": [{"role": "user", "content": SINGLE_QUESTION}], "completion": [{"role": "assistant", "content": text}], "label": True}
    ], rows

    print(f"playground flow took {time.monotonic() - started:.1f} s")
