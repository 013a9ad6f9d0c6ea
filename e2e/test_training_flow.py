"""Training end to end in Chromium, through nginx: wizard → launch SFT+LoRA on tiny-llama → the loss
chart grows live → the job succeeds → a second browser (another device) sees the whole history."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from stack import ManagedProcess, Stack, User

MAX_STEPS = 20


def chat_rows(n: int = 40) -> bytes:
    rows = [
        {"messages": [{"role": "user", "content": f"What is {i} plus {i}?"}, {"role": "assistant", "content": str(2 * i)}]}
        for i in range(n)
    ]
    return "\n".join(json.dumps(r) for r in rows).encode() + b"\n"


def upload_dataset(api_client: httpx.Client, user: User, name: str) -> None:
    me = api_client.get("/api/auth/me", headers=user.headers).json()
    team_id = next(t["id"] for t in me["teams"] if t["personal"])
    response = api_client.post(
        f"/api/teams/{team_id}/datasets",
        headers=user.headers,
        files={"files": ("sums.jsonl", chat_rows(), "application/x-ndjson")},
        data={"name": name},
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"]["status"] == "usable"


def loss_points(page: Page) -> int:
    chart = page.get_by_role("figure", name="Loss chart")
    if chart.count() == 0:
        return 0
    return int(chart.get_attribute("data-points") or 0)


def step_of(page: Page) -> int:
    text = page.get_by_test_id("step-counter").inner_text()
    match = re.search(r"Step (\d+)", text)
    return int(match.group(1)) if match else 0


@pytest.mark.timeout(240)
def test_wizard_launch_watch_live_and_review_from_another_browser(
    signed_in_page: Page, user: User, api_client: httpx.Client, worker: ManagedProcess, browser: Browser, stack: Stack
) -> None:
    started = time.monotonic()
    page = signed_in_page
    upload_dataset(api_client, user, "sums")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="Training", level=1)).to_be_visible()
    expect(page.get_by_text("No training jobs yet")).to_be_visible()
    page.get_by_role("link", name="New job").first.click()
    expect(page).to_have_url(re.compile(r"/training/new$"))

    # 1. Goal: SFT + LoRA; a pair the method refuses is disabled with its reason.
    expect(page.get_by_role("heading", name="Step 1 of 6: Goal")).to_be_visible()
    page.get_by_label("Supervised fine-tuning (SFT)").check()
    page.get_by_label("LoRA", exact=True).check()
    page.get_by_label("Reward model").check()
    expect(page.get_by_label("QLoRA")).to_be_disabled()
    page.get_by_label("Supervised fine-tuning (SFT)").check()
    expect(page.get_by_label("QLoRA")).to_be_enabled()
    page.get_by_label("LoRA", exact=True).check()
    page.get_by_role("button", name="Next").click()

    # 2. Base model: the Hub search works through the API (against the loopback Hub), but this run
    # takes the bundled offline tiny-llama.
    expect(page.get_by_role("heading", name="Step 2 of 6: Base model")).to_be_visible()
    page.get_by_label("A Hugging Face Hub model").check()
    page.get_by_label("Search the Hugging Face Hub").fill("smollm2")
    page.get_by_label("HuggingFaceTB/SmolLM2-360M-Instruct").check()
    expect(page.get_by_text("412,000 downloads", exact=False)).to_be_visible()
    expect(page.get_by_label("Hugging Face model id")).to_have_value("HuggingFaceTB/SmolLM2-360M-Instruct")
    page.get_by_label("A bundled model").check()
    page.get_by_label("tiny-llama").check()
    page.get_by_role("button", name="Next").click()

    # 3. Dataset: the chat upload fits SFT.
    expect(page.get_by_role("heading", name="Step 3 of 6: Dataset")).to_be_visible()
    page.get_by_label("sums · v1").check()
    expect(page.get_by_text("40 rows")).to_be_visible()
    page.get_by_role("button", name="Next").click()

    # 4. Settings: a quick preset, then a few steps; out-of-range input is caught inline.
    expect(page.get_by_role("heading", name="Step 4 of 6: Settings")).to_be_visible()
    page.get_by_label("Job name (optional)").fill("e2e sums")
    page.get_by_label("Quick").check()
    page.get_by_role("button", name="Advanced settings").click()
    page.get_by_label("Max steps").fill("0")
    expect(page.get_by_text("Must be at least 1.")).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_label("Max steps").fill(str(MAX_STEPS))
    # The base-vs-fine-tuned generation costs ~25 s on this CPU; the eval loss still runs.
    page.get_by_label("Compare with the base model").uncheck()
    page.get_by_role("button", name="Next").click()

    # 5. Where to run: the e2e worker, with an estimate for it and for Modal GPUs.
    expect(page.get_by_role("heading", name="Step 5 of 6: Where to run")).to_be_visible()
    expect(page.get_by_label("Local workers")).to_be_checked()
    estimates = page.get_by_role("table", name="Memory, time and cost on each target")
    expect(estimates).to_contain_text("fits")
    expect(estimates).to_contain_text("Modal")
    page.get_by_label("Modal cloud GPU").check()
    expect(page.get_by_role("link", name="Add a Modal token in Settings")).to_be_visible()
    page.get_by_label("Local workers").check()
    page.get_by_role("button", name="Next").click()

    # 6. Review: the YAML for `tuneforge train`, then launch.
    expect(page.get_by_role("heading", name="Step 6 of 6: Review")).to_be_visible()
    expect(page.get_by_label("Spec YAML")).to_contain_text(f"max_steps: {MAX_STEPS}")
    expect(page.get_by_label("Spec YAML")).to_contain_text("method: sft")
    page.get_by_role("button", name="Launch").click()
    expect(page).to_have_url(re.compile(r"/training/[0-9a-f-]{36}$"))
    job_url = page.url
    expect(page.get_by_role("heading", name="e2e sums", level=1)).to_be_visible()

    # Live: the chart gets its first points while the job runs, then more without a reload.
    expect(page.get_by_test_id("step-counter")).to_have_text(re.compile(rf"Step [1-9]\d* of {MAX_STEPS}"), timeout=90_000)
    first_points, first_step = loss_points(page), step_of(page)
    assert 0 < first_points < MAX_STEPS, f"the chart should be caught mid-run, had {first_points} points"
    deadline = time.monotonic() + 60
    while loss_points(page) <= first_points and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert loss_points(page) > first_points, "the loss chart did not grow while the job ran"
    assert step_of(page) > first_step

    status = page.get_by_label("Status", exact=True)
    expect(status).to_have_text("succeeded", timeout=90_000)
    expect(page.get_by_role("figure", name="Loss chart")).to_have_attribute("data-points", str(MAX_STEPS))
    expect(page.get_by_text(f"Step {MAX_STEPS} of {MAX_STEPS}")).to_be_visible()

    # Another device: sign in there and open the job: the whole history, finished.
    other = browser.new_context(base_url=stack.base_url, viewport={"width": 390, "height": 844})
    try:
        phone = other.new_page()
        phone.goto(job_url)
        expect(phone.get_by_role("heading", name="Sign in to TuneForge")).to_be_visible()
        phone.get_by_label("Email").fill(user.email)
        phone.get_by_label("Password").fill(user.password)
        phone.get_by_role("button", name="Sign in").click()
        expect(phone).to_have_url(job_url)
        expect(phone.get_by_label("Status", exact=True)).to_have_text("succeeded")
        expect(phone.get_by_role("figure", name="Loss chart")).to_have_attribute("data-points", str(MAX_STEPS))
        timeline = phone.get_by_role("list", name="Status timeline")
        for state in ("queued", "running", "succeeded"):
            expect(timeline).to_contain_text(state)
        expect(phone.get_by_text("Eval loss", exact=True)).to_be_visible()
        expect(phone.get_by_role("button", name="Download adapter_model.safetensors")).to_be_visible()
    finally:
        other.close()
    print(f"training flow took {time.monotonic() - started:.1f} s")
