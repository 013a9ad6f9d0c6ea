"""One job over two devices, end to end in Chromium: a CPU worker offering two training processes, the
wizard's Devices picker, the review's global batch, and a job that trains under torchrun to success —
at desktop and phone width."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from stack import ManagedProcess, Stack, User
from test_training_flow import upload_dataset


def _to_target_step(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Training").click()
    page.get_by_role("link", name="New job").first.click()
    expect(page.get_by_role("heading", name="Step 1 of 6: Goal")).to_be_visible()
    page.get_by_label("Supervised fine-tuning (SFT)").check()
    page.get_by_label("LoRA", exact=True).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("A bundled model").check()
    page.get_by_label("tiny-llama").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("sums2 · v1").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Job name (optional)").fill("two devices")
    page.get_by_label("Quick").check()
    page.get_by_role("button", name="Advanced settings").click()
    page.get_by_label("Max steps").fill("6")
    page.get_by_label("Compare with the base model").uncheck()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Step 5 of 6: Where to run")).to_be_visible()


@pytest.mark.timeout(300)
def test_a_job_on_two_devices_from_the_wizard(
    signed_in_page: Page, user: User, api_client: httpx.Client, two_process_worker: ManagedProcess, browser: Browser,
    stack: Stack, devices_screenshot_folder: Path,
) -> None:
    page = signed_in_page
    upload_dataset(api_client, user, "sums2")
    _to_target_step(page)

    devices = page.get_by_label("Devices")
    expect(devices).to_be_visible()
    expect(page.get_by_text(re.compile(r"one job on up to 2 devices"))).to_be_visible()
    devices.select_option("2")
    expect(page.get_by_text(re.compile(r"each step trains on 2 times as many rows"))).to_be_visible()
    # The estimate is for two processes on that worker.
    expect(page.get_by_role("table", name="Memory, time and cost on each target")).to_contain_text("fits")
    page.screenshot(path=str(devices_screenshot_folder / "target-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(devices_screenshot_folder / "target-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Step 6 of 6: Review")).to_be_visible()
    expect(page.get_by_text(re.compile(r"rows per step over 2 devices"))).to_be_visible()
    expect(page.get_by_label("Spec YAML")).to_contain_text("devices: 2")
    page.screenshot(path=str(devices_screenshot_folder / "review-1280.png"), full_page=True)
    page.get_by_role("button", name="Launch").click()
    expect(page).to_have_url(re.compile(r"/training/[0-9a-f-]{36}$"))

    expect(page.get_by_text(re.compile(r"on 2 devices"))).to_be_visible()
    expect(page.get_by_label("Status", exact=True)).to_have_text("succeeded", timeout=180_000)
    # The trainer said how it shared the work: two gloo processes, DDP, and the global batch.
    expect(page.get_by_text(re.compile(r"training on 2 cpu processes with DDP")).first).to_be_visible()
    page.screenshot(path=str(devices_screenshot_folder / "job-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(devices_screenshot_folder / "job-390.png"), full_page=True)
